import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import pino from 'pino';
import request from 'supertest';
import { afterAll, expect, it } from 'vitest';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { isAppError } from '../../src/errors/AppError.ts';
import { sessionConfig } from './sessionConfig.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lzc-express-session-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

declare module 'express-session' {
  interface SessionData {
    visits?: number;
  }
}

it('serves express-session (rolling) from the default store, and a store failure as a 503', async () => {
  const backend = await createSessionBackend(sessionConfig({ dataDir }), pino({ level: 'silent' }));
  const app = express();
  app.use(
    session({
      store: backend.store,
      secret: 'test-secret-at-least-32-characters-long',
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { maxAge: 60_000 },
    }),
  );
  app.get('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });
  // Unchanged session on a rolling cookie: express-session calls touch(), not set().
  app.get('/peek', (req, res) => res.json({ visits: req.session.visits ?? 0 }));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(isAppError(err) ? err.status : 500).json({ code: isAppError(err) ? err.code : 'INTERNAL' });
  };
  app.use(onError);

  const agent = request.agent(app);
  expect((await agent.get('/visit')).body).toEqual({ visits: 1 });
  expect((await agent.get('/peek')).body).toEqual({ visits: 1 });
  expect((await agent.get('/visit')).body).toEqual({ visits: 2 });

  await backend.close();
  const failed = await agent.get('/peek');
  expect(failed.status).toBe(503);
  expect(failed.body).toEqual({ code: 'SESSION_STORE_UNAVAILABLE' });
});
