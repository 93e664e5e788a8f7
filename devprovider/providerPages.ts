// Server-rendered pages of the embedded OpenID provider: sign-in, sign-out confirmation, signed-out, error.
// They carry no script at all, so they work in any browser and under any CSP; labels are zh-CN + English.

function escapeHtml(value: string | number | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:48px 16px;color:#1f2328}
main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 16px}label{display:block;margin:12px 0 4px;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:8px;font-size:1rem;border:1px solid #c9ccd1;border-radius:4px}
button{margin-top:16px;width:100%;padding:10px;font-size:1rem;border:0;border-radius:4px;background:#2f6feb;color:#fff;cursor:pointer}
button.secondary{background:#e6e8eb;color:#1f2328}.error{background:#ffebe9;color:#82071e;padding:8px;border-radius:4px}
.hint{font-size:.85rem;color:#57606a;margin-top:16px}code{background:#f4f5f7;padding:1px 4px;border-radius:3px}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface LoginPageInput {
  title: string;
  action: string;
  clientId: string;
  username?: string;
  error?: boolean;
  /** Listed on the page so a first-time developer can sign in; only the dev provider sets it. */
  demoAccounts?: Array<{ username: string; password: string; groups: string[] }>;
}

export function loginPage(input: LoginPageInput): string {
  const error = input.error ? '<p class="error" role="alert">用户名或密码错误 · Wrong username or password</p>' : '';
  const demo = input.demoAccounts?.length
    ? `<p class="hint">演示账号 · Demo accounts:<br>${input.demoAccounts
        .map((a) => `<code>${escapeHtml(a.username)}</code> / <code>${escapeHtml(a.password)}</code> (${escapeHtml(a.groups.join(', '))})`)
        .join('<br>')}</p>`
    : '';
  return page(
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>
<p class="hint">登录到 · Sign in to <code>${escapeHtml(input.clientId)}</code></p>${error}
<form method="post" action="${escapeHtml(input.action)}">
<label for="username">用户名 · Username</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(input.username)}">
<label for="password">密码 · Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录 · Sign in</button>
</form>${demo}`,
  );
}

/** oidc-provider passes `form`: a hidden form (id "op.logoutForm") carrying its xsrf token; the buttons submit it. */
export function logoutConfirmPage(title: string, form: string): string {
  return page(
    title,
    `<h1>退出登录？ · Sign out?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>退出 · Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">保持登录 · Stay signed in</button>`,
  );
}

export function signedOutPage(title: string): string {
  return page(title, '<h1>已退出登录 · Signed out</h1><p>You can close this window.</p>');
}

export function errorPage(title: string, out: Record<string, unknown>): string {
  const rows = Object.entries(out)
    .map(
      ([k, v]) =>
        `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v))}</p>`,
    )
    .join('');
  return page(title, `<h1>出错了 · Something went wrong</h1>${rows}`);
}

/** A tiny self-served avatar, so the `picture` claim points at something real without any network access. */
export function avatarSvg(username: string): string {
  const initial = escapeHtml((username[0] ?? '?').toUpperCase());
  let hue = 0;
  for (const ch of username) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect width="64" height="64" rx="32" fill="hsl(${hue},55%,45%)"/>
<text x="32" y="42" font-family="sans-serif" font-size="30" fill="#fff" text-anchor="middle">${initial}</text></svg>`;
}
