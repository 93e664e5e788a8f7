/**
 * The name of every record the library keeps in the store's key-value space (beside the sessions themselves),
 * in one place, so no two features can collide and an operator can tell what a key in Redis is.
 */
export const storeKeys = {
  /** A session's tokens, sealed; they live and die with the session. */
  tokens: (sessionId: string) => `tokens:${sessionId}`,
  /** Tombstone of an ended session, so no late write brings it back. */
  ended: (sessionId: string) => `ended:${sessionId}`,
  /** A sign-in state already redeemed, and where it went: a replayed callback goes there instead of signing in twice. */
  signInDone: (state: string) => `done:${state}`,
  /** A back-channel logout token already acted on. */
  logoutTokenUsed: (jti: string) => `jti:${jti}`,
  /** Who refreshes a session's tokens right now, across instances. */
  refreshLock: (sessionId: string) => `lock:refresh:${sessionId}`,
};
