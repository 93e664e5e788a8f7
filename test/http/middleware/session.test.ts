// sessionLifetime() decides by the clock it is given, so these tests move that clock instead of waiting.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionLifetime } from '../../../src/http/middleware/session.ts';
import { getStored } from '../../../src/sessions/writes.ts';
import { sessionStack, SIGN_IN_PATH, type SessionStack } from '../../fixtures/sessionStack.ts';

const IDLE_SEC = 3600;
const ABSOLUTE_SEC = 8 * 3600;
const T0 = 1_790_000_000_000;

let stack: SessionStack | undefined;
afterEach(() => stack?.close());

async function signedIn() {
  const clock = { now: T0 };
  stack = await sessionStack({ idleTimeoutSec: IDLE_SEC, absoluteTimeoutSec: ABSOLUTE_SEC }, () => clock.now);
  stack.app.use(sessionLifetime(stack.cfg, () => clock.now));
  stack.app.get('/me', (req, res) => {
    res.json({ signedIn: Boolean(req.session?.user), sessionId: req.sessionID ?? null });
  });
  const agent = request.agent(stack.app);
  await agent.post(SIGN_IN_PATH).expect(204);
  const { sessionId } = (await agent.get('/me').expect(200)).body as { sessionId: string };
  /** A request at `at` ms after sign-in; the clock stays there. */
  const at = async (ms: number) => {
    clock.now = T0 + ms;
    const res = await agent.get('/me').expect(200);
    return { signedIn: res.body.signedIn as boolean, setsCookie: res.headers['set-cookie'] !== undefined };
  };
  return { at, sessionId, stored: () => getStored(stack!.backend.store, sessionId) };
}

const minutes = (m: number) => m * 60_000;

describe('sessionLifetime', () => {
  it('keeps a session that is used within the idle timeout, without re-sending the cookie every time', async () => {
    const s = await signedIn();
    expect(await s.at(minutes(1))).toEqual({ signedIn: true, setsCookie: false });
    expect(await s.at(minutes(5))).toEqual({ signedIn: true, setsCookie: false });
  });

  it('slides the idle window once it moved by a tenth, re-sending the cookie and recording lastSeen', async () => {
    const s = await signedIn();
    expect(await s.at(minutes(7))).toEqual({ signedIn: true, setsCookie: true });
    expect((await s.stored())?.lastSeen).toBe(T0 + minutes(7));
    // 59 minutes after the slide, 66 after sign-in: alive because the window moved.
    expect((await s.at(minutes(66))).signedIn).toBe(true);
  });

  it('ends a session idle for longer than the idle timeout, in the store and not just for this request', async () => {
    const s = await signedIn();
    expect((await s.at(IDLE_SEC * 1000 + 1)).signedIn).toBe(false);
    expect(await s.stored()).toBeUndefined();
    // The clock going back cannot bring it back: it is gone, not merely judged expired.
    expect((await s.at(minutes(1))).signedIn).toBe(false);
  });

  it('ends a session older than the absolute lifetime however active it is', async () => {
    const s = await signedIn();
    for (let m = 30; m <= 8 * 60; m += 30) expect((await s.at(minutes(m))).signedIn).toBe(true);
    expect((await s.at(ABSOLUTE_SEC * 1000 + 1)).signedIn).toBe(false);
  });

  it('never lets the cookie outlive the absolute lifetime', async () => {
    const s = await signedIn();
    for (let m = 30; m <= 7 * 60 + 30; m += 30) await s.at(minutes(m));
    // Half an hour of absolute lifetime left: the cookie gets that, not a full idle window. (express-session derives
    // originalMaxAge from two reads of the real clock, which a millisecond may separate.)
    const maxAge = (await s.stored())?.cookie.originalMaxAge;
    expect(maxAge).toBeGreaterThanOrEqual(minutes(30) - 1);
    expect(maxAge).toBeLessThanOrEqual(minutes(30));
  });

  it('leaves requests without a signed-in session alone', async () => {
    stack = await sessionStack();
    stack.app.use(sessionLifetime(stack.cfg, () => T0));
    stack.app.get('/me', (req, res) => {
      res.json({ session: req.session === undefined ? 'none' : 'present' });
    });
    const res = await request(stack.app).get('/me').expect(200);
    expect(res.body).toEqual({ session: 'none' });
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
