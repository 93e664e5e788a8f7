import { describe, expect, it } from 'vitest';
import { serializeError } from '../../src/log/logger.ts';
import { capturingLogger } from '../fixtures/logs.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';

function capture() {
  const { logger, logs } = capturingLogger('debug');
  return { logger, lines: logs };
}

describe('logger', () => {
  it('keeps openid-client error codes and causes, and scrubs tokens wherever they hide', () => {
    const { logger, lines } = capture();
    const cause = new Error(`unexpected JWT claim value ${JWT}`);
    const err = Object.assign(new Error('invalid response encountered', { cause }), { code: 'OAUTH_INVALID_RESPONSE' });
    logger.warn({ err, body: { access_token: JWT, nested: { refresh_token: 'r1', code: 'auth-code-123' } } }, 'rejected');
    const out = lines.join('');
    expect(out).toContain('OAUTH_INVALID_RESPONSE');
    expect(out).toContain('unexpected JWT claim value [jwt]');
    expect(out).not.toContain(JWT);
    expect(out).not.toContain('"r1"');
  });

  it('serialises OAuth error fields and never the response body', () => {
    const e = serializeError(Object.assign(new Error('x'), { error: 'invalid_grant', error_description: 'bad', status: 400, response: { secret: 1 } })) as Record<string, unknown>;
    expect(e).toMatchObject({ error: 'invalid_grant', error_description: 'bad', status: 400 });
    expect(e.response).toBeUndefined();
  });
});
