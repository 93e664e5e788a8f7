/**
 * The reference app's own texts (its pages), in the languages the library speaks. The library's texts
 * (errors, the sign-out page) are its own; an app built on it brings its own catalogue like this one.
 */
const en = {
  'app.title': 'Lazycat sign-in',
  'nav.signIn': 'Sign in',
  'nav.signOut': 'Sign out',
  'nav.home': 'Home',
  'nav.profile': 'Profile',
  'nav.admin': 'Admin',
  'home.signedOut.title': 'Welcome',
  'home.signedOut.body': 'Sign in with your Lazycat account to continue.',
  'home.signedIn.title': 'Hello, {name}',
  'home.signedIn.body': 'You are signed in.',
  'home.signedOutNotice': 'You have been signed out.',
  'home.devNotice': 'Development provider: sign in as {users}.',
  'profile.title': 'Your profile',
  'profile.groups': 'Groups',
  'profile.noGroups': 'No groups',
  'profile.claims': 'Claims',
  'profile.claim': 'Claim',
  'profile.value': 'Value',
  'profile.session': 'Session',
  'profile.signedInAt': 'Signed in at',
  'profile.sessionExpiresAt': 'Session expires at',
  'profile.tokenExpiresAt': 'Access token expires at',
  'profile.refreshable': 'Refresh token',
  'profile.yes': 'yes',
  'profile.no': 'no',
  'profile.unknown': 'unknown',
  'profile.issuer': 'Provider',
  'admin.title': 'Administration',
  'admin.body': 'Only members of the ADMIN group can see this page.',
} as const;

type Key = keyof typeof en;

const zhCN: Record<Key, string> = {
  'app.title': '懒猫登录',
  'nav.signIn': '登录',
  'nav.signOut': '退出登录',
  'nav.home': '首页',
  'nav.profile': '个人资料',
  'nav.admin': '管理',
  'home.signedOut.title': '欢迎',
  'home.signedOut.body': '请使用懒猫账号登录以继续。',
  'home.signedIn.title': '你好，{name}',
  'home.signedIn.body': '你已登录。',
  'home.signedOutNotice': '你已退出登录。',
  'home.devNotice': '开发用身份提供方：可用 {users} 登录。',
  'profile.title': '个人资料',
  'profile.groups': '用户组',
  'profile.noGroups': '无用户组',
  'profile.claims': '声明（Claims）',
  'profile.claim': '声明',
  'profile.value': '值',
  'profile.session': '会话',
  'profile.signedInAt': '登录时间',
  'profile.sessionExpiresAt': '会话过期时间',
  'profile.tokenExpiresAt': '访问令牌过期时间',
  'profile.refreshable': '刷新令牌',
  'profile.yes': '有',
  'profile.no': '无',
  'profile.unknown': '未知',
  'profile.issuer': '身份提供方',
  'admin.title': '管理',
  'admin.body': '只有 ADMIN 组的成员才能看到此页面。',
};

export type Locale = 'en' | 'zh-CN';
export type Translate = (key: Key, vars?: Record<string, string>) => string;

const CATALOGS: Record<Locale, Record<Key, string>> = { en, 'zh-CN': zhCN };

export function translator(locale: Locale): Translate {
  const catalog = CATALOGS[locale];
  // A page asks for some thirty texts and only one has a placeholder: no replace() for the others.
  return (key, vars) => (vars ? catalog[key].replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m) : catalog[key]);
}
