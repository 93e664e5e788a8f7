import { parseDurationSec } from './duration.ts';

export type Env = Record<string, string | undefined>;

/** A variable's value, trimmed; empty counts as unset. */
export const envString = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v || undefined;
};

/**
 * Typed readers of the environment. Each records a problem (never echoing more than the value it could not read)
 * and returns the fallback, so that loadConfig() can go on and report every problem at once.
 */
export function envReader(env: Env, problems: string[]) {
  const str = (name: string): string | undefined => envString(env, name);
  const url = (name: string, value = str(name)): string | undefined => {
    if (value === undefined) return undefined;
    try {
      const u = new URL(value);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      return u.href;
    } catch {
      problems.push(`${name} must be an absolute http(s) URL (got "${value}")`);
      return undefined;
    }
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = str(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${v}")`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, fallback: number): number => {
    const v = str(name);
    if (v === undefined) return fallback;
    const n = parseDurationSec(v);
    if (n === undefined) {
      problems.push(`${name} must be a duration such as 90, 30m, 8h or 7d (got "${v}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback = false): boolean => {
    const v = str(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    problems.push(`${name} must be true or false (got "${v}")`);
    return false;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = str(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
    return fallback;
  };
  return { str, url, int, duration, bool, oneOf };
}
