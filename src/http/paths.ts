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
