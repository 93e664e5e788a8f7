import 'express-session';
import type { SessionUser, StoredTokens } from '../oidc/user.ts';
import type { Locale, Translate } from '../i18n/index.ts';

declare module 'express-session' {
  interface SessionData {
    user: SessionUser;
    /** Server-side only: the cookie carries just the session id. */
    tokens: StoredTokens;
    /** Synchroniser token for state-changing forms (logout). */
    csrf: string;
    createdAt: number;
    lastSeen: number;
  }
}

declare global {
  namespace Express {
    interface Request {
      id: string;
      locale: Locale;
      t: Translate;
    }
  }
}
