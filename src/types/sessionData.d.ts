import 'express-session';
import type { SessionUser, TokenInfo } from '../sessions/record.ts';

declare module 'express-session' {
  interface SessionData {
    user: SessionUser;
    /** About the tokens, which are stored beside the session (SessionWrites.tokens), server-side only. */
    tokenInfo: TokenInfo;
    /** Synchroniser token for state-changing forms (logout). */
    csrf: string;
    createdAt: number;
    /** The box user (X-HC-User-ID) at the browser when this session signed in, on Lazycat. */
    boxUser: string;
    lastSeen: number;
  }
}
