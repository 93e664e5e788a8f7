/**
 * The only entry point: reads the environment, builds the pieces, listens, and shuts down gracefully.
 * Everything else is side-effect free so tests can build many apps.
 */
import type { Server } from 'node:http';
import { config as loadDotenv } from 'dotenv';
import { lazycatAuth, loadConfig, ConfigError, createLogger, closeLogger, logDestination, logFormat, type AppConfig } from '../index.ts';
import { createApp } from './createApp.ts';

const SHUTDOWN_GRACE_MS = 10_000;
const KEEP_ALIVE_MS = 65_000;

function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lzc-oidc: ${err.message}\nSee README.md (Configuration) and .env.example.\n`);
      process.exit(1);
    }
    throw err;
  }
}

interface DevProvider {
  issuer: string;
  users: Array<{ username: string; password: string }>;
  close(): Promise<void>;
}

/**
 * The zero-config first run: an embedded provider with demo users. It lives in the repository's devprovider/,
 * outside what is built and packaged, so it is found by URL (neither the compiler nor a package follows it).
 */
async function startDevProvider(config: AppConfig): Promise<DevProvider> {
  const url = new URL('../../devprovider/devProvider.ts', import.meta.url).href;
  const dev = (await import(url).catch((err: unknown) => {
    throw new Error(
      'no provider is configured, and the embedded development provider is not part of a built package: set LAZYCAT_AUTH_OIDC_ISSUER_URI, or run `npm start` in the repository',
      { cause: err },
    );
  })) as { startDevProvider(options: Record<string, unknown>): Promise<DevProvider> };
  return dev.startDevProvider({
    issuer: config.oidc.issuer,
    clientId: config.oidc.clientId,
    clientSecret: config.oidc.clientSecret ?? '',
    redirectUris: [config.oidc.redirectUri],
    postLogoutRedirectUris: [config.oidc.postLogoutRedirectUri],
  });
}

async function main(): Promise<void> {
  // .env is for local development; real environment variables win over it.
  if (process.env.NODE_ENV !== 'production') loadDotenv({ quiet: true });
  const config = configOrExit();
  const logger = createLogger(config.logLevel, logDestination(logFormat(config.nodeEnv, process.stdout.isTTY)));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  let devProvider: { close(): Promise<void> } | undefined;
  let devUsers: string | undefined;
  if (config.devProvider) {
    const dev = await startDevProvider(config);
    devProvider = dev;
    devUsers = dev.users.map((u) => `${u.username} / ${u.password}`).join(', ');
    logger.warn({ issuer: dev.issuer }, 'No provider configured: started the embedded DEVELOPMENT provider (never used in production)');
    process.stdout.write(`\n  Development sign-in provider: ${dev.issuer}\n  Demo users: ${devUsers}\n\n`);
  }
  if (config.session.secretGenerated) {
    logger.warn('SESSION_SECRET is not set: using a random one, so sessions end when the process restarts');
  }

  const auth = lazycatAuth({ config, logger, pages: 'builtin', afterSignIn: '/profile' });
  try {
    await auth.start();
  } catch (err) {
    process.stderr.write(
      `lzc-oidc: cannot open the session store: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}\n`,
    );
    process.exit(1);
  }
  const app = createApp({ auth, logger, trustProxy: config.trustProxy, https: config.session.secureCookie, ...(devUsers && { devUsers }) });

  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ host: config.host, port, publicOrigin: config.publicOrigin, store: config.session.store }, 'listening');
    if (config.devProvider) process.stdout.write(`  Open http://localhost:${port}/ in your browser.\n\n`);
  });
  // Lazycat's ingress, like most reverse proxies, reuses idle upstream connections. Node closes them after 5 s,
  // which races with a proxy sending the next request on the same socket: a sporadic 502. Outlive the proxy.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  server.on('error', (err) => {
    logger.fatal({ err }, 'cannot listen');
    process.exit(1);
  });

  // Hand-written on purpose: four steps (stop accepting, finish requests, close the store, flush the logs) with a
  // forced exit, which a shutdown library would only wrap.
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // First: whatever happens next (a log write to a closed pipe throws), the process must still end.
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    logger.info({ signal }, 'shutting down');
    const finish = async (): Promise<void> => {
      await auth.close().catch((err: unknown) => logger.warn({ err }, 'session store close failed'));
      await devProvider?.close();
      logger.info('stopped');
      // Request lines still in the asynchronous log buffer are written before the process goes.
      await closeLogger(logger);
      process.exit(0);
    };
    server.close(() => void finish());
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
