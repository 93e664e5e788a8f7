// The comparison servers of `npm run bench`, each started in its own process as
// `node scripts/bench/servers.ts <role>` on $PORT (127.0.0.1):
//   host       a minimal Express app: GET /public (anonymous JSON) and GET /me (the user as JSON, from $BENCH_BODY)
//   host-auth  the same app with app.use(lazycatAuth()) and requireAuth() on /me, from the compiled package (dist/)
//   host-session  the same app with express-session alone (its own MemoryStore, a one-field session set by
//              GET /login) and /me answering 401 without it: the floor of any signed-in route built on express-session
//   bare       a bare Express handler answering /profile with the reference app's own body ($BENCH_BODY, $BENCH_HTML)
//   eoc        express-openid-connect 3 in code flow, its default cookie session, a signed-in /profile
import { createRequire } from 'node:module';
import express, { type Request, type Response } from 'express';
import session from 'express-session';
import { loadConfig } from '../../src/config/load.ts';
import { expressSessionOptions } from '../../src/http/middleware/session.ts';
import { SESSION_SECRET } from './harness.ts';

type Library = typeof import('../../src/index.ts');

const PORT = Number(process.env.PORT);
const DIST_INDEX = new URL('../../dist/index.js', import.meta.url).href;

/** The answer a signed-in page gives, JSON or HTML by the Accept header. */
function page(req: Request, res: Response, json: unknown, html: () => string): void {
  res.setHeader('Cache-Control', 'no-store');
  if (req.accepts(['json', 'html']) === 'json') res.json(json);
  else res.type('html').send(html());
}

async function serveHost(withAuth: boolean): Promise<void> {
  const app = express();
  const publicBody = { status: 'ok' };
  if (!withAuth) {
    const me = JSON.parse(process.env.BENCH_BODY ?? '{}') as unknown;
    app.get('/public', (_req, res) => void res.json(publicBody));
    app.get('/me', (_req, res) => void res.json(me));
    app.listen(PORT, '127.0.0.1');
    return;
  }
  const { lazycatAuth, requireAuth } = (await import(DIST_INDEX)) as Library;
  const auth = lazycatAuth();
  // Ready (store open, provider discovered) before listening, so the harness's first 200 means "usable".
  await auth.start();
  await auth.providerReady();
  app.use(auth);
  app.get('/public', (_req, res) => void res.json(publicBody));
  app.get('/me', requireAuth(), (req, res) => void res.json(req.oidc.user));
  app.listen(PORT, '127.0.0.1');
}

function serveHostSession(): void {
  const me = JSON.parse(process.env.BENCH_BODY ?? '{}') as unknown;
  const app = express();
  // The cheapest use of express-session: the very options lazycatAuth() passes it with the default settings, with
  // nothing around or under it (express-session's own MemoryStore).
  const { session: cfg } = loadConfig({ SESSION_STORE: 'memory', SESSION_SECRET });
  app.use(session({ ...expressSessionOptions(cfg, new session.MemoryStore()), proxy: false }));
  app.get('/public', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/login', (req, res) => {
    req.session.user = { sub: 'alice' } as never;
    res.json({ status: 'ok' });
  });
  app.get('/me', (req, res) => {
    if (!req.session.user) return void res.status(401).end();
    res.json(me);
  });
  app.listen(PORT, '127.0.0.1');
}

function serveBare(): void {
  const json = JSON.parse(process.env.BENCH_BODY ?? '{}') as unknown;
  const html = process.env.BENCH_HTML ?? '';
  const app = express();
  // No content negotiation here: the bare figure is the cheapest way to send the same bytes.
  app.get('/profile', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.headers.accept === 'application/json') res.json(json);
    else res.type('html').send(html);
  });
  app.listen(PORT, '127.0.0.1');
}

const escapeHtml = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function serveExpressOpenidConnect(): void {
  // A CommonJS package whose named exports Node's ESM loader cannot see: load it the CommonJS way.
  const { auth, requiresAuth } = createRequire(import.meta.url)('express-openid-connect') as typeof import('express-openid-connect');
  const app = express();
  app.get('/ready', (_req, res) => void res.end());
  app.use(
    auth({
      issuerBaseURL: process.env.ISSUER!,
      baseURL: `http://127.0.0.1:${PORT}`,
      clientID: process.env.CLIENT_ID!,
      clientSecret: process.env.CLIENT_SECRET!,
      secret: SESSION_SECRET,
      authRequired: false,
      idpLogout: false,
      // Code flow (with PKCE) like this app; its default is the implicit id_token + form_post flow.
      authorizationParams: { response_type: 'code', scope: 'openid profile email groups' },
    }),
  );
  app.get('/profile', requiresAuth(), (req, res) => {
    // Its req.oidc, not ours: both libraries declare the same request property.
    const oidc = req.oidc as unknown as import('express-openid-connect').RequestContext;
    const session = { tokenExpiresIn: oidc.accessToken?.expires_in, refreshable: Boolean(oidc.refreshToken) };
    const rows = Object.entries(oidc.user ?? {}).map(
      ([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(JSON.stringify(v))}</td></tr>`,
    );
    page(
      req,
      res,
      { user: oidc.user, session },
      () => `<!doctype html><html><head><title>Profile</title></head><body><h1>Profile</h1><table>${rows.join('')}</table></body></html>`,
    );
  });
  app.listen(PORT, '127.0.0.1');
}

// The harness stops a server with SIGTERM: exit normally, so a --cpu-prof run writes its profile.
process.on('SIGTERM', () => process.exit(0));

const role = process.argv[2];
if (role === 'host' || role === 'host-auth') await serveHost(role === 'host-auth');
else if (role === 'host-session') serveHostSession();
else if (role === 'bare') serveBare();
else if (role === 'eoc') serveExpressOpenidConnect();
else throw new Error(`unknown role ${String(role)}: host, host-auth, host-session, bare or eoc`);
