import { ERROR_CODES, type ErrorCode } from './codes.ts';

/** The only error the app throws on purpose: a stable code, a status from the code table, and the cause for the log. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra facts for the log (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, options: { cause?: unknown; details?: Record<string, unknown>; message?: string } = {}) {
    super(options.message ?? code, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
