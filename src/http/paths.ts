/** Where lazycatAuth() answers. The callback is the redirect URI's path, so the two can never disagree. */
export interface AuthPaths {
  login: string;
  callback: string;
  logout: string;
  logoutDone: string;
  backchannel: string;
  /** The built-in pages' stylesheet. */
  stylesheet: string;
}

/** The paths a sign-in must never return to: landing there would only start or end a sign-in again. */
export const signInFlowPaths = (paths: AuthPaths): string[] => [paths.login, paths.callback, paths.logout];
