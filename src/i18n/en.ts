/** English messages: the source of keys. zh-CN must have exactly the same keys (a test checks). */
export const en = {
  'app.title': 'Lazycat sign-in',
  'nav.signIn': 'Sign in',
  'nav.signOut': 'Sign out',
  'logout.title': 'Sign out',
  'logout.confirm': 'Do you want to sign out?',
  'logout.button': 'Sign out',
  'logout.cancel': 'Cancel',
  'logout.everywhere': 'Sign out on all devices',
  'error.title': 'Something went wrong',
  'error.code': 'Error code',
  'error.requestId': 'Request ID',
  'error.signInAgain': 'Sign in again',
  'error.home': 'Back to home',
  'error.OIDC_PROVIDER_UNAVAILABLE': 'The sign-in provider is unavailable right now. Please try again in a moment.',
  'error.OIDC_PROVIDER_ERROR': 'The sign-in provider gave an unexpected answer. Please try again.',
  'error.OIDC_ACCESS_DENIED': 'Sign-in was cancelled or access was denied at the provider.',
  'error.OIDC_LOGIN_FAILED': 'The provider could not complete the sign-in.',
  'error.OIDC_STATE_MISMATCH': 'This sign-in did not start in this browser, or its data did not match. Please sign in again.',
  'error.OIDC_TXN_EXPIRED': 'This sign-in link has expired or was already used. Please sign in again.',
  'error.OIDC_TOKEN_REJECTED': 'The identity token from the provider failed verification, so you were not signed in.',
  'error.OIDC_INVALID_CALLBACK': 'The sign-in response was incomplete.',
  'error.SESSION_STORE_UNAVAILABLE': 'Session storage is unavailable right now. Please try again in a moment.',
  'error.SIGN_OUT_UNCONFIRMED':
    'You are signed out in this browser, but the server could not confirm that your session has ended. If this is a shared or lost device, sign in again later and choose "Sign out on all devices".',
  'error.CSRF_INVALID': 'The form has expired. Please reload the page and try again.',
  'error.AUTH_REQUIRED': 'Please sign in to see this page.',
  'error.FORBIDDEN': 'You do not have permission to see this page.',
  'error.BAD_REQUEST': 'The request was not understood.',
  'error.PAYLOAD_TOO_LARGE': 'The request was too large.',
  'error.NOT_FOUND': 'Page not found.',
  'error.INTERNAL': 'An unexpected error occurred. It has been logged.',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;
