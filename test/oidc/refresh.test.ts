import { describe, expect, it } from 'vitest';
import { needsRefresh } from '../../src/oidc/refresh.ts';
import type { TokenInfo } from '../../src/sessions/record.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const info = (lifetimeMs: number, extra: Partial<TokenInfo> = {}): TokenInfo => ({
  obtainedAt: T0,
  expiresAt: T0 + lifetimeMs,
  refreshable: true,
  ...extra,
});

describe('needsRefresh: the later of (expiry − margin) and (obtained + half the lifetime)', () => {
  it.each([
    // lifetime, margin (s), now (ms after obtained), due?
    ['1 h token, 60 s margin: not yet at 58 min', 60 * MIN, 60, 58 * MIN, false],
    ['1 h token, 60 s margin: due at 59 min', 60 * MIN, 60, 59 * MIN, true],
    ['30 s token, 60 s margin: not on the first request', 30_000, 60, 0, false],
    ['30 s token, 60 s margin: not before half its life', 30_000, 60, 14_999, false],
    ['30 s token, 60 s margin: due at half its life', 30_000, 60, 15_000, true],
    ['60 s token, 60 s margin: due at half its life, not at once', 60_000, 60, 29_999, false],
    ['already expired', 60 * MIN, 60, 61 * MIN, true],
  ])('%s', (_case, lifetime, margin, after, due) => {
    expect(needsRefresh(info(lifetime), margin, T0 + after)).toBe(due);
  });

  it('never without a refresh token or a known expiry', () => {
    expect(needsRefresh(info(60 * MIN, { refreshable: false }), 60, T0 + 61 * MIN)).toBe(false);
    expect(needsRefresh({ obtainedAt: T0, refreshable: true }, 60, T0 + 61 * MIN)).toBe(false);
    expect(needsRefresh(undefined, 60, T0)).toBe(false);
  });

  it('waits out a retry back-off, then is due again', () => {
    const backedOff = info(60 * MIN, { refreshRetryAt: T0 + 60 * MIN });
    expect(needsRefresh(backedOff, 60, T0 + 59.5 * MIN)).toBe(false);
    expect(needsRefresh(backedOff, 60, T0 + 60 * MIN)).toBe(true);
  });
});
