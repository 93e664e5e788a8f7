/**
 * The only entry point: reads the environment, builds the pieces, listens, and shuts down gracefully.
 * Everything else is side-effect free so tests can build many apps.
 */
import type { Server } from 'node:http';
import { config as loadDotenv } from 'dotenv';
import { loadConfig, ConfigError } from '../config/load.ts';
import { createLogger } from '../log/logger.ts';
import { createOidcClient } from '../oidc/client.ts';
import { createSessionBackend } from '../sessions/index.ts';
import { createApp } from './createApp.ts';

const SHUTDOWN_GRACE_MS = 10_000;
const KEEP_ALIVE_MS = 65_000;

async function main(): Promise<void> {
  // .env is for local development; real environment variables win over it.
  if (process.env.NODE_ENV !== 'production') loadDotenv({ quiet: true });

  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lzc-oidc: ${err.message}\nSee README.md (Configuration) and .env.example.\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  let devProvider: { close(): Promise<void> } | undefined;
  let devUsers: string | undefined;
  if (config.devProvider) {
    const { startDevProvider } = await import('../../devprovider/devProvider.ts');
    const dev = await startDevProvider({
      issuer: config.oidc.issuer,
      clientId: config.oidc.clientId,
      clientSecret: config.oidc.clientSecret ?? '',
      redirectUris: [config.oidc.redirectUri],
      postLogoutRedirectUris: [config.oidc.postLogoutRedirectUri],
    });
    devProvider = dev;
    devUsers = dev.users.map((u) => `${u.username} / ${u.password}`).join(', ');
    logger.warn({ issuer: dev.issuer }, 'No provider configured: started the embedded DEVELOPMENT provider (never used in production)');
    process.stdout.write(`\n  Development sign-in provider: ${dev.issuer}\n  Demo users: ${devUsers}\n\n`);
  }
  if (config.session.secretGenerated) {
    logger.warn('SESSION_SECRET is not set: using a random one, so sessions end when the process restarts');
  }

  let sessions;
  try {
    sessions = await createSessionBackend(config.session, logger);
  } catch (err) {
    process.stderr.write(`lzc-oidc: cannot open the session store: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const oidc = createOidcClient(config.oidc, logger);
  void oidc.start();
  const app = createApp({ config, oidc, sessions, logger, ...(devUsers && { devUsers }) });

  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ host: config.host, port, publicOrigin: config.publicOrigin, store: sessions.kind }, 'listening');
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

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    oidc.stop();
    server.close(async () => {
      await sessions.close().catch((err: unknown) => logger.warn({ err }, 'session store close failed'));
      await devProvider?.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
