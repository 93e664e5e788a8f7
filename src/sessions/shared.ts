import type { SessionData } from 'express-session';
import { AppError, isAppError } from '../errors/AppError.ts';

/** An error's message for a boot error line. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Every store failure looks the same to the app: a 503 page, with the real cause kept for the log. */
export function storeUnavailable(cause: unknown): AppError {
  return isAppError(cause) ? cause : new AppError('SESSION_STORE_UNAVAILABLE', { cause });
}

/** Runs a store operation (sync or async) so that any failure rejects as SESSION_STORE_UNAVAILABLE. */
export async function guarded<T>(op: () => T | Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw storeUnavailable(err);
  }
}

/**
 * Seconds a session should live in the store: until its cookie expires, so the store never keeps
 * what the browser has already dropped; a browser-session cookie (no expiry) gets the idle timeout.
 * Zero or less means "already expired".
 */
export function sessionTtlSec(sess: Partial<SessionData> | undefined, fallbackSec: number): number {
  const expires = sess?.cookie?.expires;
  if (!expires) return fallbackSec;
  return Math.ceil((new Date(expires).getTime() - Date.now()) / 1000);
}

type OwnerField = 'sub' | 'sid';

/**
 * Answers findSessions() the same way in every store: each given field must match, and an empty
 * query finds nothing (never "every session", which a logout handler could act on by mistake).
 */
export async function findOwned(
  query: { sub?: string; sid?: string },
  lookup: (field: OwnerField, value: string) => string[] | Promise<string[]>,
): Promise<string[]> {
  const lists: string[][] = [];
  for (const field of ['sub', 'sid'] as const) {
    const value = query[field];
    if (value !== undefined) lists.push(await lookup(field, value));
  }
  const [first, ...rest] = lists;
  if (!first) return [];
  return [...new Set(first)].filter((id) => rest.every((list) => list.includes(id)));
}
