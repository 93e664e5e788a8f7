// Shared parts of the fuzz suites: a real stack with a signed-in browser to borrow cookies from, a raw
// HTTP sender, generators for hostile strings, and the invariants every answer must keep.
// Requests go through node:http rather than supertest: it sends the request target and header bytes as
// given (raw Latin-1, malformed percent-escapes, odd separators) instead of normalising them first.
import http from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';
import fc from 'fast-check';
import { signIn, startStack, type Stack } from '../../fixtures/stack.ts';
import { JWT, STACK_TRACE } from '../../fixtures/leaks.ts';

export interface FuzzTarget {
  stack: Stack;
  origin: string;
  /** `name=value` of a signed-in session, to mix into generated Cookie headers. */
  sessionCookie: string;
  /** The provider's authorization endpoint, origin + path: the one foreign place /login may send a browser. */
  authorizeEndpoint: string;
  /** The provider's end-session endpoint, origin + path: where POST /logout may send a browser. */
  endSessionEndpoint: string;
}

/** One certified stack and one signed-in session for the enclosing describe; checks the process and logs at the end. */
export function useFuzzTarget(): () => FuzzTarget {
  let target: FuzzTarget | undefined;
  beforeAll(async () => {
    const stack = await startStack('certified');
    const browser = stack.browser();
    expect((await signIn(stack, browser)).status).toBe(303);
    const name = stack.app.config.session.cookieName;
    const sid = browser.jar.getCookie(name, { domain: '127.0.0.1', path: '/', secure: false, script: false });
    if (!sid) throw new Error('no session cookie after sign-in');
    const meta = stack.app.oidc.provider().config.serverMetadata();
    const bare = (u: string | undefined) => (u ? new URL(u).origin + new URL(u).pathname : '');
    target = {
      stack,
      origin: new URL(stack.app.url).origin,
      sessionCookie: `${name}=${sid.value}`,
      authorizeEndpoint: bare(meta.authorization_endpoint),
      endSessionEndpoint: bare(meta.end_session_endpoint),
    };
  });
  afterAll(async () => {
    if (target) {
      // Thousands of hostile requests later: still alive, still signed in, and nothing leaked into the logs.
      expect((await send(target, 'GET', '/healthz')).status).toBe(200);
      expect((await send(target, 'GET', '/profile', { cookie: target.sessionCookie, accept: 'application/json' })).status).toBe(200);
      const logs = target.stack.app.logs.join('\n');
      expect(logs.match(STACK_TRACE)).toBeNull();
      expect(logs.match(JWT)).toBeNull();
    }
    await target?.stack.close();
  });
  return () => {
    if (!target) throw new Error('fuzz target not started');
    return target;
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request with exactly this target and these header values (which must be legal on the wire). */
export function send(
  target: FuzzTarget,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(target.origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The answer's rule, given where a redirect may go besides the app itself. */
export interface Expectation {
  /** Foreign redirect targets (origin + path) allowed for this route. */
  foreign?: string[];
}

/**
 * The invariants: no 5xx but the documented provider-down 503; no stack trace or JWT in the body or any
 * header (unless the request itself carried that text, e.g. an echoed request id); a Location that stays
 * on the app's origin or goes to an allowed provider endpoint.
 */
export function expectSafe(target: FuzzTarget, sent: string, res: Answer, expectation: Expectation = {}): void {
  if (res.status >= 500) {
    expect(res.status).toBe(503);
    expect(res.body).toContain('OIDC_PROVIDER_UNAVAILABLE');
  }
  const headerText = Object.entries(res.headers)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : (v ?? '')}`)
    .join('\n');
  for (const text of [res.body, headerText]) {
    const leaks = [...(text.match(STACK_TRACE) ?? []), ...(text.match(JWT) ?? [])].filter((m) => !sent.includes(m));
    expect(leaks).toEqual([]);
  }
  const location = res.headers.location;
  if (location !== undefined) {
    // Resolved the way a browser does (backslashes, tabs and newlines included).
    const to = new URL(location, target.origin);
    if (to.origin !== target.origin) expect(expectation.foreign ?? []).toContain(to.origin + to.pathname);
  }
}

/** Sends and checks in one go; returns the answer for further checks. */
export async function sendSafe(
  target: FuzzTarget,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  expectation: Expectation = {},
): Promise<Answer> {
  const res = await send(target, method, path, headers);
  expectSafe(target, `${path}\n${Object.values(headers).join('\n')}`, res, expectation);
  return res;
}

// ------------------------------------------------------------------------------------------ generators

/** Pieces that make redirect targets and parameters dangerous, to be glued together. */
const TRICKY = [
  '/',
  '//',
  '\\',
  '/\\',
  '%2f',
  '%2F',
  '%5c',
  '%252f',
  '.',
  '..',
  '@',
  ':',
  '?',
  '#',
  '&',
  '=',
  ';',
  '%',
  '%%',
  '%zz',
  '%E0%A4',
  'evil.example',
  'javascript:alert(1)',
  'http:',
  'https://',
  'data:',
  '\t',
  '\n',
  '%09',
  '%0a',
  '%0d%0a',
  '%00',
  ' ',
  '+',
  '\u3002',
  '\uff0f',
  '\u2044',
  '\u202e',
  '<script>',
  '"',
  "'",
  '..%2f',
  '%2e%2e',
  'login',
  'callback',
  'logout',
  '\u00e9',
  '\u{1F600}',
];

/** Strings biased towards the shapes that break parsers: tricky fragments, Unicode, long runs. */
export const hostileString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.array(fc.constantFrom(...TRICKY), { maxLength: 8 }).map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
    fc.webUrl(),
    fc.webPath(),
    fc
      .tuple(
        fc.constantFrom('a', '%', '/', '\u00ff'), // Long, but under Node's 16 KB header limit even encoded twice (which the app never sees: a 431).
        fc.integer({ min: 100, max: 1200 }),
      )
      .map(([c, n]) => c.repeat(n)),
  );

/**
 * A string made legal for a request target, in one of three ways: percent-encoded, raw where the HTTP
 * parser allows it (visible ASCII: stray `%`, `\\`, `"`, `<`, `#` ... as is), or encoded twice.
 * Raw bytes above 0x7e are left out: Node's parser refuses them with a 400 before the app sees anything.
 */
export const onTheWire = (value: string, mode: 'encoded' | 'raw' | 'double'): string => {
  if (mode === 'encoded') return encodeURIComponent(value);
  if (mode === 'double') return encodeURIComponent(encodeURIComponent(value));
  return [...value].map((c) => (/[\x21-\x7e]/.test(c) ? c : encodeURIComponent(c))).join('');
};
export const wireMode = fc.constantFrom('encoded' as const, 'raw' as const, 'double' as const);

/** A legal header value (tab, visible ASCII, Latin-1) from any string. */
export const headerSafe = (value: string): string =>
  [...value]
    .map((c) => (/[\t\x20-\x7e\x80-\xff]/.test(c) ? c : '?'))
    .join('')
    .trim();

/** A query string of OIDC-flavoured and random parameters, some repeated, some without "=". */
export const hostileQuery = (names: string[]): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...names), hostileString(12)), hostileString(), wireMode, fc.boolean()), { maxLength: 6 })
    // Cut (perhaps mid-escape, one more malformation) so request line and headers stay under Node's 16 KB.
    .map((pairs) =>
      pairs
        .map(([k, v, mode, bare]) => (bare ? onTheWire(k, mode) : `${onTheWire(k, mode)}=${onTheWire(v, mode)}`))
        .join('&')
        .slice(0, 6000),
    );
