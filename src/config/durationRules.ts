import type { AppConfig } from './types.ts';

/**
 * Duration settings that are each well-formed but do not work together (or at all):
 * - zero for OIDC_HTTP_TIMEOUT (every provider request would abort), OIDC_DISCOVERY_RETRY_MAX (discovery would
 *   retry in a tight loop), SESSION_IDLE_TIMEOUT or SESSION_MAX_AGE (every session would end at once);
 * - SESSION_IDLE_TIMEOUT longer than SESSION_MAX_AGE;
 * - OIDC_REFRESH_MARGIN shorter than OIDC_HTTP_TIMEOUT: a refresh started at the margin could still be
 *   waiting for the provider when the access token runs out;
 * - OIDC_USERINFO_REFRESH_INTERVAL (unless 0) shorter than OIDC_HTTP_TIMEOUT: the next check would be due
 *   while the last one may still be waiting;
 * - OIDC_CLOCK_TOLERANCE at least SESSION_MAX_AGE: a token expired for longer than any session lives would
 *   still be accepted.
 */
export function durationProblems({ oidc, session }: AppConfig): string[] {
  const problems: string[] = [];
  const positive: Array<[string, number]> = [
    ['OIDC_HTTP_TIMEOUT', oidc.httpTimeoutSec],
    ['OIDC_DISCOVERY_RETRY_MAX', oidc.discoveryRetryMaxMs],
    ['SESSION_IDLE_TIMEOUT', session.idleTimeoutSec],
    ['SESSION_MAX_AGE', session.absoluteTimeoutSec],
  ];
  for (const [name, value] of positive) if (value <= 0) problems.push(`${name} must be longer than 0`);
  if (session.idleTimeoutSec > session.absoluteTimeoutSec) problems.push('SESSION_IDLE_TIMEOUT must not exceed SESSION_MAX_AGE');
  if (oidc.refreshMarginSec < oidc.httpTimeoutSec) {
    problems.push(
      `OIDC_REFRESH_MARGIN (${oidc.refreshMarginSec} s) must be at least OIDC_HTTP_TIMEOUT (${oidc.httpTimeoutSec} s): a refresh must be able to finish before the access token expires`,
    );
  }
  if (oidc.userinfoRefreshIntervalSec > 0 && oidc.userinfoRefreshIntervalSec < oidc.httpTimeoutSec) {
    problems.push(
      `OIDC_USERINFO_REFRESH_INTERVAL (${oidc.userinfoRefreshIntervalSec} s) must be 0 (off) or at least OIDC_HTTP_TIMEOUT (${oidc.httpTimeoutSec} s)`,
    );
  }
  if (oidc.clockToleranceSec >= session.absoluteTimeoutSec) {
    problems.push(
      `OIDC_CLOCK_TOLERANCE (${oidc.clockToleranceSec} s) must be shorter than SESSION_MAX_AGE (${session.absoluteTimeoutSec} s)`,
    );
  }
  return problems;
}
