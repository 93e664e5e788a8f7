export interface LoginPageInput {
    title: string;
    action: string;
    clientId: string;
    username?: string;
    error?: boolean;
    /** Listed on the page so a first-time developer can sign in; only the dev provider sets it. */
    demoAccounts?: Array<{
        username: string;
        password: string;
        groups: string[];
    }>;
}
export declare function loginPage(input: LoginPageInput): string;
/** oidc-provider passes `form`: a hidden form (id "op.logoutForm") carrying its xsrf token; the buttons submit it. */
export declare function logoutConfirmPage(title: string, form: string): string;
export declare function signedOutPage(title: string): string;
export declare function errorPage(title: string, out: Record<string, unknown>): string;
/** A tiny self-served avatar, so the `picture` claim points at something real without any network access. */
export declare function avatarSvg(username: string): string;
