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
