import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

// Anything shaped like a JWT, wherever it hides in a message or a cause.
const JWT_LIKE = /eyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*/g;
const SECRET_KEYS =
  /^(access_token|id_token|refresh_token|logout_token|code|code_verifier|client_secret|password|cookie|authorization|set-cookie|id_token_hint|state|nonce|secret|token)$/i;
// Error codes (OAUTH_…, ERR_…, our own) are not secrets, unlike an OAuth authorization `code`.
const ERROR_CODE = /^[A-Z][A-Z0-9_]+$/;

/** Replaces token-like strings and secret-named fields, however deep, before anything is logged. */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT_LIKE, '[jwt]');
  // Errors go to the err serializer whole; it scrubs what it keeps.
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (depth > 6) return '[truncated]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const secret = SECRET_KEYS.test(k) && !(k === 'code' && typeof v === 'string' && ERROR_CODE.test(v));
    out[k] = secret ? '[redacted]' : scrub(v, depth + 1);
  }
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

type Closable = DestinationStream & { end(): void; once(event: 'close', listener: () => void): void };

// The asynchronous stdout destinations createLogger() made itself, so closeLogger() never ends a caller's stream.
const OWN_DESTINATIONS = new WeakMap<Logger, Closable>();
const CLOSE_WAIT_MS = 2000;

/**
 * Logs to `destination`, by default to stdout through an asynchronous buffer, so a slow or full log pipe (the
 * box's collector falling behind) never stalls requests; it saves little CPU (a line costs ~4–5 µs to serialise
 * and scrub, the write ~1 µs). Lines are written as soon as the previous write finishes (nothing waits for a
 * buffer to fill); pino writes what is left synchronously if the process exits, and a graceful shutdown waits
 * for it with closeLogger().
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const own = destination ? undefined : (pino.destination({ dest: 1, sync: false }) as unknown as Closable);
  const logger = pino(
    {
      level,
      base: { app: 'lzc-oidc' },
      serializers: { err: (e: unknown) => serializeError(e) },
      // Every log object is scrubbed at any depth, not just the paths someone thought of.
      formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
    },
    destination ?? own,
  );
  if (own) OWN_DESTINATIONS.set(logger, own);
  return logger;
}

/**
 * Resolves once every line logged so far is written: the last step of a graceful shutdown. It closes the
 * logger's own stdout buffer (stdout itself stays open); a destination the caller passed is left to the caller.
 */
export function closeLogger(logger: Logger): Promise<void> {
  const own = OWN_DESTINATIONS.get(logger);
  if (!own) return Promise.resolve();
  OWN_DESTINATIONS.delete(logger);
  return new Promise((resolve) => {
    own.once('close', resolve);
    // With stdout gone (a broken pipe), pino drops every line and the buffer never closes: do not wait on it.
    setTimeout(resolve, CLOSE_WAIT_MS).unref();
    own.end();
  });
}

export type LogFormat = 'pretty' | 'json';

/**
 * Readable lines for a person watching a development run in a terminal; JSON everywhere else, where a
 * machine reads the logs (production, the box's log collector, a pipe or a file, the tests).
 */
export function logFormat(nodeEnv: string | undefined, isTTY: boolean | undefined): LogFormat {
  return nodeEnv !== 'production' && isTTY === true ? 'pretty' : 'json';
}

type Output = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * Where createLogger() writes: `out` (pino's own stdout when unset) for JSON; for 'pretty', pino-pretty's
 * formatter in-process, so a line is written before the process exits. pino-pretty is a devDependency: where it
 * is not installed (an app using the published package), the logs stay JSON.
 */
export function logDestination(format: LogFormat, out?: Output): DestinationStream | undefined {
  if (format === 'json') return out;
  let pretty: typeof import('pino-pretty');
  try {
    pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  } catch {
    return out;
  }
  const target = out ?? process.stdout;
  const prettify = pretty.prettyFactory({ colorize: target.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' });
  return { write: (line: string) => void target.write(prettify(line)) };
}
