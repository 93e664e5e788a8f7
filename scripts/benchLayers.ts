/**
 * Where the time of a signed-in request goes: the same JSON handler behind more and more of the app's
 * layers (request context + log line, helmet, express-session with the SQLite store), then the whole
 * app. Prints requests/s per row; a relative breakdown, not a capacity figure (server and load
 * generator share this process and the machine's cores). `npm run bench:layers`. Loopback only,
 * every row bounded (2 runs × 3 s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express, { type Express } from 'express';
import { reservePort } from '../test/fixtures/app.ts';
import { startStack, signIn, ownSession } from '../test/fixtures/stack.ts';
import { load } from './bench/harness.ts';
import { securityHeaders } from '../src/app/securityHeaders.ts';
import { sessionMiddleware } from '../src/http/middleware/session.ts';
import { proxyTrust } from '../src/http/proxyTrust.ts';
import { sessionWrites } from '../src/sessions/writes.ts';
import { tokenCipher } from '../src/sessions/tokenCipher.ts';
import { requestLog } from '../src/app/requestLog.ts';
import { createLogger } from '../src/log/logger.ts';

const RUNS = 2;
const SECONDS = 3;

const stack = await startStack('certified', {
  env: { SESSION_STORE: 'sqlite', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'lzc-layers-')), LOG_LEVEL: 'info' },
});
const agent = stack.browser();
await signIn(stack, agent);
const body = { user: (await ownSession(stack, agent)).data!.user };
const cookie = agent.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).toValueString();
// The request log line is part of the cost; it goes to a sink that drops it.
const logger = createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }));

async function measure(app: Express): Promise<number> {
  const { server, port } = await reservePort();
  server.on('request', app);
  let best = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await load(`http://127.0.0.1:${port}/profile`, { cookie, accept: 'application/json' }, SECONDS, 20);
    best = Math.max(best, Math.round(r.rps));
  }
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return best;
}

function layered(depth: number): Express {
  const app = express();
  const { config, sessions } = stack.app;
  if (depth >= 1) app.use(requestLog(logger));
  if (depth >= 2) app.use(securityHeaders(stack.app.auth, false));
  if (depth >= 3) {
    const writes = sessionWrites(sessions, config.session.absoluteTimeoutSec, tokenCipher(config.session.secrets));
    app.use(sessionMiddleware(config.session, sessions, writes, proxyTrust(config.trustProxy), () => false));
  }
  app.get('/profile', (_req, res) => res.json(body));
  return app;
}

const rows: Array<[string, number]> = [];
for (const [name, app] of [
  ['bare Express handler', layered(0)],
  ['+ request id, locale, log line', layered(1)],
  ['+ helmet (CSP etc.)', layered(2)],
  ['+ express-session, SQLite store read', layered(3)],
  ['the whole app (GET /profile JSON)', stack.app.app],
] as const) {
  rows.push([name, await measure(app)]);
}
const bare = rows[0]![1];
console.log('| layers | requests/s | vs bare |\n| --- | --- | --- |');
for (const [name, rps] of rows) console.log(`| ${name} | ${rps} | ${Math.round((100 * rps) / bare)} % |`);
await stack.close();
process.exit(0);
