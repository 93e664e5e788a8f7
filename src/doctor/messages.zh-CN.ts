// 诊断工具的中文文本：键与 messages.en.ts 的英文完全一致（类型检查保证）。
import type { Messages } from './messages.en.ts';

export const zhCN: Messages = {
  'title.config': '配置',
  'title.discovery': '服务发现',
  'title.issuer': '签发者',
  'title.endpoints': '端点',
  'title.scopes': '权限范围',
  'title.pkce': 'PKCE',
  'title.jwks': '签名密钥',
  'title.credentials': '客户端凭据',
  'title.redirect': '回调地址',
  'title.clock': '时钟',
  'title.logout': '退出登录',
  'title.revocation': '令牌吊销',
  'title.refresh': '令牌刷新',
  'ui.header': 'lzc-oidc 诊断：对照身份提供方检查登录配置',
  'ui.fix': '修复',
  'ui.blocked': '登录无法进行：{fails} 项检查失败，{warns} 项警告。',
  'ui.warnings': '登录应可正常进行，有 {warns} 项警告。',
  'ui.allGood': '全部检查通过。',
  'skip.discovery': '未检查：服务发现失败。',
  'skip.handle': '未检查：身份提供方元数据不可用（见上文）。',

  'config.ok': '变量齐全且格式正确（签发者 {issuer}，客户端 ID {clientId}）。',
  'config.invalid': '发现 {count} 个配置问题：{problems}',
  'config.fix': '请在环境变量或 .env 中设置或更正以上变量（参见 .env.example），然后重新运行 npm run doctor。',
  'config.dev': '未配置身份提供方：npm start 会启动内置的开发用身份提供方（{issuer}），没有可检查的内容。',
  'config.dev.fix':
    '如需检查真实的身份提供方，请设置 LAZYCAT_AUTH_OIDC_ISSUER_URI、LAZYCAT_AUTH_OIDC_CLIENT_ID 和 LAZYCAT_AUTH_OIDC_CLIENT_SECRET。',

  'discovery.ok': '{url} 在 {ms} 毫秒内响应。',
  'discovery.manual': '未配置签发者：不使用服务发现，以显式配置的 LAZYCAT_AUTH_OIDC_*_URI 端点为准。',
  'discovery.status': '{url} 返回 HTTP {status}{location}，而不是服务发现文档。',
  'discovery.notJson': '{url} 返回的不是 JSON（content-type {type}）。',
  'discovery.noIssuer': '{url} 返回的 JSON 中没有 "issuer"：这不是 OpenID Connect 服务发现文档。',
  'fix.discovery.issuer':
    'LAZYCAT_AUTH_OIDC_ISSUER_URI 必须是签发者本身，即 /.well-known/openid-configuration 之前的部分：懒猫微服为 https://<盒子>.heiyu.space/sys/oauth，Casdoor 为其根地址，例如 http://localhost:8000。',
  'net.dns': '无法解析主机名 {host}（{url}）。',
  'net.refused': '{host} 拒绝连接（{url}）：该地址上没有服务在监听。',
  'net.timeout': '{url} 在 {sec} 秒内没有响应。',
  'net.tls': '与 {host} 的 TLS 握手失败（{detail}）。',
  'net.network': '请求 {url} 失败（{detail}）。',
  'fix.net.dns': '请检查 {variable} 中的主机名以及本机的 DNS；在容器内请使用容器能解析的名称。',
  'fix.net.refused': '请启动身份提供方，或更正 {variable} 中的主机和端口。',
  'fix.net.timeout': '请确认本机能访问 {host}（防火墙、代理）；如果只是身份提供方响应慢，请调大 OIDC_HTTP_TIMEOUT。',
  'fix.net.tls': '请让身份提供方的证书对 {host} 有效，或通过 NODE_EXTRA_CA_CERTS=/path/to/ca.pem 信任其 CA。',
  'fix.net.plainHttp': '该端口使用的是明文 http 而不是 https：请在 {variable} 中使用 {suggested}（或在身份提供方前加上 TLS）。',
  'fix.net.network': '请检查 {variable} 中的地址，并确认身份提供方正在运行。',

  'issuer.ok': '身份提供方的签发者与配置完全一致：{issuer}。',
  'issuer.trailingSlash': 'LAZYCAT_AUTH_OIDC_ISSUER_URI 为 "{raw}"，末尾带斜杠；应用会去掉它，因此签发者匹配：{issuer}。',
  'issuer.trailingSlash.fix': '去掉末尾的斜杠，让所有工具保持一致：LAZYCAT_AUTH_OIDC_ISSUER_URI={issuer}',
  'issuer.scheme': 'http 与 https 不一致：配置为 {configured}，但身份提供方声明的签发者是 {discovered}。令牌校验将失败。',
  'issuer.mismatch': '身份提供方声明的签发者是 {discovered}，而配置的签发者是 {configured}。令牌校验将失败。',
  'issuer.mismatch.fix':
    '如果本应用通过 {discovered} 访问身份提供方，请设置 LAZYCAT_AUTH_OIDC_ISSUER_URI={discovered}；否则请在身份提供方自身的配置中更正签发者。',
  'issuer.casdoor.fix':
    'Casdoor 根据每个请求的 Host 生成签发者。请把 Casdoor 的 origin 设置为浏览器和本应用共同使用的那个地址（例如 docker run -e origin={configured} …，或在 conf/app.conf 中写 origin = {configured}），重启 Casdoor，并保持 LAZYCAT_AUTH_OIDC_ISSUER_URI={configured}。',

  'endpoints.ok': '所有端点都在 {host} 上。',
  'endpoints.missing': '身份提供方元数据中缺少 {names}。',
  'endpoints.missing.fix': '请将 LAZYCAT_AUTH_OIDC_AUTH_URI 和 LAZYCAT_AUTH_OIDC_TOKEN_URI 设置为身份提供方的端点。',
  'endpoints.devPort': 'authorization_endpoint 为 {url}：7001 端口是 Casdoor 开发模式的前端端口，没有服务在监听，浏览器无法登录。',
  'endpoints.devPort.fix': 'Casdoor 以 runmode = dev 运行：请设置 origin={issuer}（或 runmode=prod）并重启 Casdoor（casdoor#3591）。',
  'endpoints.devPort.genericFix': '请检查身份提供方的公开地址设置，或用 LAZYCAT_AUTH_OIDC_AUTH_URI 覆盖。',
  'endpoints.otherHost': '以下端点与签发者 {host} 不在同一主机：{list}。',
  'endpoints.otherHost.fix':
    '请确认浏览器能访问授权端点、本应用能访问其他端点；错误的端点可用 LAZYCAT_AUTH_OIDC_AUTH_URI / _TOKEN_URI / _USERINFO_URI 或 OIDC_JWKS_URI 覆盖。',
  'endpoints.otherHost.casdoorFix':
    'Casdoor 根据 origin / originFrontend 生成端点：请把 origin 设置为浏览器和本应用共同使用的地址，并重启 Casdoor。',

  'scopes.ok': '请求的权限范围均受支持：{scopes}。',
  'scopes.unadvertised': '身份提供方未声明 scopes_supported；应用按配置请求 {scopes}。',
  'scopes.unsupported': '以下权限范围不受身份提供方支持，应用会将其省略：{dropped}（支持的有：{supported}）。',
  'scopes.dex': '懒猫微服的 Dex 不支持以下权限范围，且会拒绝未知的权限范围；应用会将其省略：{dropped}（支持的有：{supported}）。',
  'scopes.fix': '请设置 OIDC_SCOPES="{scopes}"',

  'pkce.ok': '支持 S256 方式的 PKCE。',
  'pkce.unadvertised': '身份提供方未声明 code_challenge_methods_supported；应用仍会发送 S256。',
  'pkce.unadvertised.fix': '请确认身份提供方接受 S256 方式的 PKCE。',
  'pkce.unadvertised.casdoorFix': 'v2.316.1 之前的 Casdoor 不声明该字段（S256 仍可用）；升级 Casdoor 即可。',
  'pkce.noS256': '身份提供方只声明了 {methods}，没有应用始终使用的 S256。',
  'pkce.noS256.fix': '请在身份提供方上启用 S256 方式的 PKCE。',

  'jwks.ok': '{url} 中的 {total} 个密钥里有 {count} 个可校验 ID 令牌（{algs}）：{kids}。',
  'jwks.invalid': '{url} 返回 HTTP {status}，且不是 JSON 格式的密钥集。',
  'jwks.noKeys': '{url} 中的 {total} 个密钥都不是适用于 {algs} 的签名密钥。',
  'jwks.fix': '请为身份提供方配置 RSA 或 EC 签名密钥（use 为 "sig"）；使用 Casdoor 时请检查应用的证书（并确认 Casdoor 中没有空证书）。',
  'jwks.missing': '身份提供方没有 jwks_uri：无法校验 ID 令牌。',
  'jwks.missing.fix': '请将 OIDC_JWKS_URI 设置为身份提供方的密钥集地址（懒猫微服为 https://<盒子>.heiyu.space/sys/oauth/keys）。',

  'credentials.ok': '客户端 {clientId} 已通过认证：令牌端点只拒绝了测试用的授权码（{error}）。',
  'credentials.casdoorOk':
    '客户端 ID {clientId} 已被接受（{error}）。Casdoor 只在授权码有效后才校验密钥，因此密钥错误会在首次登录时才显现。',
  'credentials.rejected': '身份提供方拒绝了客户端凭据（HTTP {status} {error} {detail}）。',
  'credentials.fix':
    '请检查 LAZYCAT_AUTH_OIDC_CLIENT_ID 和 LAZYCAT_AUTH_OIDC_CLIENT_SECRET（在懒猫微服上密钥每次重启都会变化：请从环境变量读取，不要复制保存）；如果身份提供方要求另一种客户端认证方式，请设置 OIDC_CLIENT_AUTH=client_secret_post 或 client_secret_basic。',
  'credentials.basicUndecoded':
    '令牌端点拒绝了 client_secret_basic（HTTP {status} {error}），却接受了相同凭据的 client_secret_post：它没有对 Basic 凭据做 URL 解码（RFC 6749 §2.3.1），而 openid-client 会在其中对客户端 ID {clientId} 做百分号编码（连 "-" 和 "." 也编码）。',
  'credentials.basicUndecoded.autoFix':
    '登录不受影响：OIDC_CLIENT_AUTH=auto 时，应用会用 client_secret_post 重试一次该请求，并在之后一直使用它。设置 OIDC_CLIENT_AUTH=client_secret_post 可省去第一次被拒绝的请求。',
  'credentials.basicUndecoded.fix':
    '请设置 OIDC_CLIENT_AUTH=client_secret_post（或 auto）：使用 client_secret_basic 时，在此身份提供方的每次登录都会失败。',
  'credentials.grant': '该客户端不允许使用授权码流程（{error}：{detail}）。',
  'credentials.grant.fix': '请在身份提供方上为该客户端启用 authorization_code（以及 refresh_token）授权类型。',
  'credentials.casdoorStatus': 'Casdoor 返回 HTTP 200 但内容是错误："{detail}"。',
  'credentials.casdoorStatus.fix': '这是 Casdoor 内部错误：请检查 Casdoor 的日志和数据库。',
  'credentials.unexpected': '令牌端点返回了意外的响应：HTTP {status} {error} {detail}。',

  'redirect.ok': '{uri}',
  'redirect.domain': '回调地址 {uri} 与懒猫微服为本应用注册的 {expected} 不一致。',
  'redirect.domain.fix': '请删除 OIDC_REDIRECT_URI（默认值为 https://$LAZYCAT_APP_DOMAIN/callback = {expected}）。',
  'redirect.path': '回调地址 {uri} 不是应用的 /callback 路由。',
  'redirect.path.fix': '请设置 OIDC_REDIRECT_URI={suggested}，并在身份提供方处注册完全相同的地址。',
  'redirect.http': '回调地址 {uri} 在非本机地址上使用明文 http：授权码和 Cookie 将以未加密方式传输。',
  'redirect.http.fix': '请通过 https 提供应用，并设置 OIDC_REDIRECT_URI={suggested}。',

  'clock.ok': '本机时钟与身份提供方一致（相差 {skew} 秒）。',
  'clock.warn': '本机时钟与身份提供方相差 {skew} 秒（容忍上限 {tolerance} 秒）。',
  'clock.fail': '本机时钟与身份提供方相差 {skew} 秒，超过 OIDC_CLOCK_TOLERANCE（{tolerance} 秒）：ID 令牌将被拒绝。',
  'clock.fix': '请在本机或身份提供方所在机器上用 NTP 同步时钟（例如 timedatectl set-ntp true）。',
  'clock.unknown': '身份提供方未发送 Date 响应头。',

  'logout.ok': 'end_session_endpoint 为 {url}：退出登录时也会结束身份提供方的会话。',
  'logout.none': '没有 end_session_endpoint：退出登录仅在本应用生效，下次登录将自动完成、无需输入。',
  'logout.none.dexFix': '懒猫微服（Dex）本就如此，无需修复。如需切换用户，请退出懒猫微服本身的登录。',
  'logout.none.fix': '如果身份提供方有退出登录地址，请设置 OIDC_END_SESSION_URI。',
  'revocation.ok': '退出登录时会吊销令牌。',
  'revocation.none': '没有令牌吊销端点：退出登录后令牌在过期前仍然有效。',
  'revocation.casdoor': 'Casdoor 没有令牌吊销端点；退出登录时由其 /api/logout 使令牌过期。',
  'refresh.ok': '可以使用刷新令牌：会话可在访问令牌过期后延续。',
  'refresh.dex': '懒猫微服（Dex authproxy）不签发刷新令牌：访问令牌过期后，用户会重新（自动）登录。',
  'refresh.casdoor': '只有当应用的授权类型包含 refresh_token 时，Casdoor 才签发刷新令牌（app-built-in 没有）。',
  'refresh.none': '身份提供方不支持 refresh_token 授权类型：会话只能持续到访问令牌过期。',
  'refresh.offline': '身份提供方只在请求 offline_access 权限范围时签发刷新令牌，而当前没有请求它。',
};
