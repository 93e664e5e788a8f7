import { describe, expect, it } from 'vitest';
import { createLogger, logDestination, logFormat, serializeError } from '../../src/log/logger.ts';
import { capturingLogger, lineSink } from '../fixtures/logs.ts';

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
    const e = serializeError(
      Object.assign(new Error('x'), { error: 'invalid_grant', error_description: 'bad', status: 400, response: { secret: 1 } }),
    ) as Record<string, unknown>;
    expect(e).toMatchObject({ error: 'invalid_grant', error_description: 'bad', status: 400 });
    expect(e.response).toBeUndefined();
  });
});

describe('log format', () => {
  it.each([
    ['development', true, 'pretty'],
    ['test', true, 'pretty'],
    [undefined, true, 'pretty'],
    ['production', true, 'json'],
    ['development', false, 'json'],
    // A pipe or a file: process.stdout.isTTY is undefined, not false.
    ['development', undefined, 'json'],
    ['production', undefined, 'json'],
  ] as const)('NODE_ENV=%s, stdout a TTY: %s → %s', (nodeEnv, isTTY, format) => {
    expect(logFormat(nodeEnv, isTTY)).toBe(format);
  });

  it('pretty: a readable line per entry (its fields indented below), still scrubbed, coloured only for a terminal', () => {
    const { sink, lines } = lineSink();
    const logger = createLogger('info', logDestination('pretty', sink));
    logger.info({ port: 3000, access_token: JWT }, 'listening');
    logger.debug('below the level');
    const out = lines.join('\n');
    expect(lines[0]).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: listening$/);
    expect(out).not.toContain('below the level');
    expect(out).toContain('port: 3000');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(JWT);
    expect(out).not.toContain('\u001b[');

    const tty = lineSink(true);
    createLogger('info', logDestination('pretty', tty.sink)).warn('careful');
    expect(tty.lines.join('')).toContain('\u001b[');
  });

  it('json: one JSON object per line', () => {
    const { sink, lines } = lineSink(true);
    createLogger('info', logDestination('json', sink)).info({ port: 3000 }, 'listening');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'listening', port: 3000, app: 'lzc-oidc' });
  });
});
