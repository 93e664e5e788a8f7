// Zero-config first run: when no provider is configured outside production, the app starts this embedded
// OpenID provider so `npm start` works with nothing set. It has demo users with real password checks.
import { createProviderApp } from "./providerApp.js";
/** Demo accounts; the sign-in page lists them, so they are not secrets. */
export const DEV_USERS = Object.freeze([
    { username: 'alice', password: 'alice-password', groups: ['ADMIN'], name: 'Alice Admin', email: 'alice@example.test' },
    { username: 'bob', password: 'bob-password', groups: ['users'], name: 'Bob User', email: 'bob@example.test' },
]);
export async function startDevProvider(opts) {
    const users = DEV_USERS.map((u) => ({ ...u, groups: [...u.groups] }));
    const app = await createProviderApp({
        issuer: opts.issuer,
        ...(opts.host ? { host: opts.host } : {}),
        title: 'lzc-oidc 开发登录 · Development sign-in',
        showDemoAccounts: true,
        users,
        clients: [
            {
                clientId: opts.clientId,
                clientSecret: opts.clientSecret,
                redirectUris: opts.redirectUris,
                postLogoutRedirectUris: opts.postLogoutRedirectUris,
            },
        ],
    });
    return {
        issuer: app.issuer,
        users: users.map(({ username, password, groups }) => ({ username, password, groups })),
        close: () => app.close(),
    };
}
