// The three lines from the README, in an app that really runs (CI installs the packed tarball and signs in here).
// Run it: LAZYCAT_AUTH_OIDC_ISSUER_URI=… LAZYCAT_AUTH_OIDC_CLIENT_ID=… LAZYCAT_AUTH_OIDC_CLIENT_SECRET=… node app.ts
import express from 'express';
import { lazycatAuth, requireAuth, requireGroup } from 'lzc-oidc';

const app = express();
app.use(lazycatAuth());
app.get('/', (req, res) => {
  res.send(req.oidc.isAuthenticated() ? `Hello, ${req.oidc.user?.name ?? req.oidc.user?.sub}` : '<a href="/login">Sign in</a>');
});
app.get('/me', requireAuth(), (req, res) => res.json(req.oidc.user));
app.get('/admin', requireGroup('ADMIN'), (req, res) => res.send(`admins only (${req.oidc.user?.groups.join(', ')})`));

app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
