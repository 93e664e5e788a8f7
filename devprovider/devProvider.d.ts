import { type ProviderUser } from './providerApp.ts';
export interface DevProviderOptions {
    /** e.g. http://localhost:3001; the provider listens on this port. */
    issuer: string;
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    postLogoutRedirectUris: string[];
    /** Bind address, default 127.0.0.1. */
    host?: string;
}
export interface DevProvider {
    issuer: string;
    users: Array<{
        username: string;
        password: string;
        groups: string[];
    }>;
    close(): Promise<void>;
}
/** Demo accounts; the sign-in page lists them, so they are not secrets. */
export declare const DEV_USERS: readonly ProviderUser[];
export declare function startDevProvider(opts: DevProviderOptions): Promise<DevProvider>;
