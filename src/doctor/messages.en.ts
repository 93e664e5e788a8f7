// The doctor's texts in English: the source of keys. messages.zh-CN.ts takes its type from here and must
// have every key. {name} placeholders are filled from a finding's vars.
export const en = {
  'title.config': 'Configuration',
  'title.discovery': 'Discovery',
  'title.issuer': 'Issuer',
  'title.endpoints': 'Endpoints',
  'title.scopes': 'Scopes',
  'title.pkce': 'PKCE',
  'title.jwks': 'Signing keys',
  'title.credentials': 'Client credentials',
  'title.redirect': 'Redirect URI',
  'title.clock': 'Clock',
  'title.logout': 'Sign-out',
  'title.revocation': 'Revocation',
  'title.refresh': 'Refresh',
  'ui.header': 'lzc-oidc doctor: checking the sign-in configuration against the provider',
  'ui.fix': 'fix',
  'ui.blocked': 'Sign-in is blocked: {fails} failed check(s), {warns} warning(s).',
  'ui.warnings': 'Sign-in should work, with {warns} warning(s).',
  'ui.allGood': 'All checks passed.',
  'skip.discovery': 'Not checked: discovery failed.',
  'skip.handle': 'Not checked: the provider metadata is unusable (see above).',

  'config.ok': 'Variables present and well-formed (issuer {issuer}, client id {clientId}).',
  'config.invalid': '{count} configuration problem(s):{problems}',
  'config.fix': 'Set or correct these variables in the environment or in .env (see .env.example), then run npm run doctor again.',
  'config.dev': 'No provider is configured: npm start would run the embedded development provider ({issuer}); there is nothing to check.',
  'config.dev.fix':
    'To check a real provider, set LAZYCAT_AUTH_OIDC_ISSUER_URI, LAZYCAT_AUTH_OIDC_CLIENT_ID and LAZYCAT_AUTH_OIDC_CLIENT_SECRET.',

  'discovery.ok': '{url} answered in {ms} ms.',
  'discovery.manual': 'No issuer configured: discovery is not used; the explicit LAZYCAT_AUTH_OIDC_*_URI endpoints are the whole provider.',
  'discovery.status': '{url} answered HTTP {status}{location}, not the discovery document.',
  'discovery.notJson': '{url} did not return JSON (content-type {type}).',
  'discovery.noIssuer': '{url} returned JSON without an "issuer": not an OpenID Connect discovery document.',
  'fix.discovery.issuer':
    'LAZYCAT_AUTH_OIDC_ISSUER_URI must be the issuer itself, the part before /.well-known/openid-configuration: on Lazycat https://<box>.heiyu.space/sys/oauth, for Casdoor its bare origin such as http://localhost:8000.',
  'net.dns': 'Cannot resolve the host {host} ({url}).',
  'net.refused': 'Connection refused by {host} ({url}): nothing listens there.',
  'net.timeout': 'No answer from {url} within {sec} s.',
  'net.tls': 'TLS handshake with {host} failed ({detail}).',
  'net.network': 'Request to {url} failed ({detail}).',
  'fix.net.dns': "Check the host name in {variable} and this machine's DNS; inside a container, use a name the container can resolve.",
  'fix.net.refused': 'Start the provider, or correct the host and port in {variable}.',
  'fix.net.timeout': 'Check that this machine can reach {host} (firewall, proxy); if the provider is just slow, raise OIDC_HTTP_TIMEOUT.',
  'fix.net.tls': "Make the provider's certificate valid for {host}, or trust its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.",
  'fix.net.plainHttp': 'That port speaks plain http, not https: use {suggested} in {variable} (or put TLS in front of the provider).',
  'fix.net.network': 'Check the URL in {variable} and that the provider is running.',

  'issuer.ok': "The provider's issuer is exactly the configured one: {issuer}.",
  'issuer.trailingSlash':
    'LAZYCAT_AUTH_OIDC_ISSUER_URI is "{raw}" with a trailing slash; the app strips it, so the issuer matches: {issuer}.',
  'issuer.trailingSlash.fix': 'Remove the slash so every tool agrees: LAZYCAT_AUTH_OIDC_ISSUER_URI={issuer}',
  'issuer.scheme': 'http vs https: configured {configured}, but the provider calls itself {discovered}. Token validation would fail.',
  'issuer.mismatch': 'The provider calls itself {discovered}, but the configured issuer is {configured}. Token validation would fail.',
  'issuer.mismatch.fix':
    "If this app reaches the provider at {discovered}, set LAZYCAT_AUTH_OIDC_ISSUER_URI={discovered}; otherwise fix the issuer in the provider's own configuration.",
  'issuer.casdoor.fix':
    "Casdoor builds its issuer from each request's Host. Set Casdoor's origin to the one URL that both the browser and this app use (e.g. docker run -e origin={configured} …, or origin = {configured} in conf/app.conf), restart Casdoor, and keep LAZYCAT_AUTH_OIDC_ISSUER_URI={configured}.",

  'endpoints.ok': 'All endpoints are on {host}.',
  'endpoints.missing': 'The provider metadata has no {names}.',
  'endpoints.missing.fix': "Set LAZYCAT_AUTH_OIDC_AUTH_URI and LAZYCAT_AUTH_OIDC_TOKEN_URI to the provider's endpoints.",
  'endpoints.devPort':
    "authorization_endpoint is {url}: port 7001, Casdoor's dev-mode frontend, where nothing listens. Browsers cannot sign in.",
  'endpoints.devPort.fix': 'Casdoor runs with runmode = dev: set its origin={issuer} (or runmode=prod) and restart it (casdoor#3591).',
  'endpoints.devPort.genericFix': "Check the provider's public URL settings, or override it with LAZYCAT_AUTH_OIDC_AUTH_URI.",
  'endpoints.otherHost': "Endpoints on a host other than the issuer's {host}: {list}.",
  'endpoints.otherHost.fix':
    'Make sure the browser can reach the authorization endpoint and this app the others; override any wrong one with LAZYCAT_AUTH_OIDC_AUTH_URI / _TOKEN_URI / _USERINFO_URI or OIDC_JWKS_URI.',
  'endpoints.otherHost.casdoorFix':
    'Casdoor derives its endpoints from origin / originFrontend: set origin to the one URL both the browser and this app use, and restart Casdoor.',

  'scopes.ok': 'Requested scopes, all supported: {scopes}.',
  'scopes.unadvertised': 'The provider does not list scopes_supported; the app requests {scopes} as configured.',
  'scopes.unsupported': 'Not supported by the provider, so the app leaves them out: {dropped} (supported: {supported}).',
  'scopes.dex':
    "Not supported by Lazycat's Dex, which rejects unknown scopes; the app leaves them out: {dropped} (supported: {supported}).",
  'scopes.fix': 'Set OIDC_SCOPES="{scopes}"',

  'pkce.ok': 'PKCE with S256 is supported.',
  'pkce.unadvertised': 'The provider does not list code_challenge_methods_supported; the app still sends S256.',
  'pkce.unadvertised.fix': 'Confirm the provider accepts PKCE S256.',
  'pkce.unadvertised.casdoorFix': 'Casdoor before v2.316.1 omits it (PKCE S256 works anyway); upgrade Casdoor to get it advertised.',
  'pkce.noS256': 'The provider lists only {methods} for PKCE, not S256, which the app always uses.',
  'pkce.noS256.fix': 'Enable PKCE S256 on the provider.',

  'jwks.ok': '{count} of {total} key(s) at {url} can verify ID tokens ({algs}): {kids}.',
  'jwks.invalid': '{url} answered HTTP {status} without a JSON key set.',
  'jwks.noKeys': 'None of the {total} key(s) at {url} is a signing key for {algs}.',
  'jwks.fix':
    'Give the provider an RSA or EC signing key (use "sig"); for Casdoor, check the application\'s certificate (and that no certificate in Casdoor is empty).',
  'jwks.missing': 'The provider has no jwks_uri: ID tokens cannot be verified.',
  'jwks.missing.fix': "Set OIDC_JWKS_URI to the provider's key set URL (on Lazycat https://<box>.heiyu.space/sys/oauth/keys).",

  'credentials.ok': 'Client {clientId} authenticated: the token endpoint rejected only the dummy code ({error}).',
  'credentials.casdoorOk':
    'Client id {clientId} accepted ({error}). Casdoor checks the secret only after a valid code, so a wrong secret would show up at the first sign-in.',
  'credentials.rejected': 'The provider rejected the client credentials (HTTP {status} {error} {detail}).',
  'credentials.fix':
    'Check LAZYCAT_AUTH_OIDC_CLIENT_ID and LAZYCAT_AUTH_OIDC_CLIENT_SECRET (on Lazycat the secret changes at every restart: take it from the environment, never copy it); if the provider wants the other client authentication, set OIDC_CLIENT_AUTH=client_secret_post or client_secret_basic.',
  'credentials.basicUndecoded':
    'The token endpoint refused client_secret_basic (HTTP {status} {error}) but accepted client_secret_post with the same credentials: it does not URL-decode Basic credentials (RFC 6749 §2.3.1), and openid-client percent-encodes the client id {clientId} there (even "-" and ".").',
  'credentials.basicUndecoded.autoFix':
    'Nothing blocks sign-in: with OIDC_CLIENT_AUTH=auto the app retries that request once with client_secret_post and keeps using it. Set OIDC_CLIENT_AUTH=client_secret_post to skip the refused first attempt.',
  'credentials.basicUndecoded.fix':
    'Set OIDC_CLIENT_AUTH=client_secret_post (or auto): with client_secret_basic every sign-in fails at this provider.',
  'credentials.grant': 'The client is not allowed the authorization code flow ({error}: {detail}).',
  'credentials.grant.fix': 'Allow the authorization_code grant (and refresh_token) for this client on the provider.',
  'credentials.casdoorStatus': 'Casdoor answered HTTP 200 with an error: "{detail}".',
  'credentials.casdoorStatus.fix': "An internal Casdoor failure: check Casdoor's log and database.",
  'credentials.unexpected': 'Unexpected answer from the token endpoint: HTTP {status} {error} {detail}.',

  'redirect.ok': '{uri}',
  'redirect.domain': 'The redirect URI {uri} is not {expected}, the one Lazycat registers for this app.',
  'redirect.domain.fix': 'Unset OIDC_REDIRECT_URI (the default is https://$LAZYCAT_APP_DOMAIN/callback = {expected}).',
  'redirect.path': "The redirect URI {uri} is not the app's /callback route.",
  'redirect.path.fix': 'Set OIDC_REDIRECT_URI={suggested} and register exactly that at the provider.',
  'redirect.http': 'The redirect URI {uri} is plain http on a non-loopback host: codes and cookies would travel unencrypted.',
  'redirect.http.fix': 'Serve the app over https and set OIDC_REDIRECT_URI={suggested}.',

  'clock.ok': "This machine's clock agrees with the provider's (difference {skew} s).",
  'clock.warn': "This machine's clock differs from the provider's by {skew} s (tolerated up to {tolerance} s).",
  'clock.fail':
    "This machine's clock differs from the provider's by {skew} s, more than OIDC_CLOCK_TOLERANCE ({tolerance} s): ID tokens will be rejected.",
  'clock.fix': "Synchronise the clock with NTP (e.g. timedatectl set-ntp true) on this machine or the provider's.",
  'clock.unknown': 'The provider sent no Date header.',

  'logout.ok': 'end_session_endpoint {url}: sign-out also ends the session at the provider.',
  'logout.none': 'No end_session_endpoint: sign-out is local only; the next sign-in will be silent.',
  'logout.none.dexFix': 'Expected with Lazycat (Dex); nothing to fix. To switch users, sign out of Lazycat itself.',
  'logout.none.fix': 'If the provider has a logout URL, set OIDC_END_SESSION_URI.',
  'revocation.ok': 'Tokens are revoked at sign-out.',
  'revocation.none': 'No revocation endpoint: tokens stay valid until they expire after sign-out.',
  'revocation.casdoor': 'Casdoor has no revocation endpoint; its /api/logout expires the token at sign-out instead.',
  'refresh.ok': 'Refresh tokens are available: sessions outlive the access token.',
  'refresh.dex': 'Lazycat (Dex authproxy) issues no refresh token: when the access token expires, the user signs in again (silently).',
  'refresh.casdoor': "Casdoor issues refresh tokens only if the application's grant types include refresh_token (app-built-in has none).",
  'refresh.none': 'The provider does not offer the refresh_token grant: sessions last as long as the access token.',
  'refresh.offline': 'The provider issues refresh tokens only with the offline_access scope, which is not requested.',
};

export type DoctorKey = keyof typeof en;
export type Messages = Record<DoctorKey, string>;
