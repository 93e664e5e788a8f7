// Casdoor's way of failing: HTTP 200 and {"status":"error","msg":…} instead of an OAuth error, here from
// userinfo in the middle of a real sign-in through the app. The RP must not take that body for a user.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../fixtures/stack.ts';
import { expectSignInAccepted, expectSignInRejected } from './hostileStack.ts';

describe('hostile provider: Casdoor userinfo answers HTTP 200 status:error', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('casdoor');
  });
  afterEach(() => {
    delete stack.provider.controls.userinfoStatusError;
  });
  afterAll(() => stack?.close());

  it('signs in while userinfo is honest (the baseline)', async () => {
    await expectSignInAccepted(stack);
  });

  it('shows a provider error, keeps no session and stays up when userinfo says "Access token has expired"', async () => {
    stack.provider.controls.userinfoStatusError = 'Access token has expired';
    const tokensBefore = stack.provider.events.token.length;
    // The ID token was fine; the one userinfo call is where it fails. Not a rejected token: the provider broke.
    await expectSignInRejected(stack, 502, 'OIDC_PROVIDER_ERROR', { userinfoCalls: 1 });
    const call = stack.provider.events.userinfo.at(-1);
    expect(call?.status).toBe(200);
    // One code redeemed, no retry, and Casdoor's text never reached the page (checked above) nor became a user.
    expect(stack.provider.events.token.length).toBe(tokensBefore + 1);
    expect(stack.app.logs.some((l) => l.includes('"code":"OIDC_PROVIDER_ERROR"'))).toBe(true);
  });
});
