import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

// Anything shaped like a JWT, wherever it hides in a message or a cause.
const JWT_LIKE = /eyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*/g;
const SECRET_KEYS = /^(access_token|id_token|refresh_token|logout_token|code|code_verifier|client_secret|password|cookie|authorization|set-cookie|id_token_hint|state|nonce)$/i;

/** Replaces token-like strings and secret-named fields, however deep, before anything is logged. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT_LIKE, '[jwt]');
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

/** Keeps what helps diagnose an openid-client or store failure (name, code, status, OAuth error, cause) and nothing else. */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return scrub(err);
  const e = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: e.name, message: scrub(e.message) };
  for (const key of ['code', 'status', 'error', 'error_description', 'details'] as const) {
    if (e[key] !== undefined) out[key] = scrub(e[key]);
  }
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'lzc-oidc' },
      serializers: { err: (e: unknown) => serializeError(e) },
      redact: {
        paths: ['*.access_token', '*.id_token', '*.refresh_token', '*.client_secret', '*.code', '*.cookie', '*.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
