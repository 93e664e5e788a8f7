import * as oc from 'openid-client';
import type { OidcConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import { providerFetch } from './providerFetch.ts';

export type ClientAuthUsed = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientAuth {
  /** openid-client's Configuration with the client authentication in use. */
  readonly config: oc.Configuration;
  readonly method: ClientAuthUsed;
  /**
   * Runs a request that authenticates the client at the token endpoint (code, refresh, revocation). In auto
   * mode, when Basic credentials are refused and the provider advertises client_secret_post, it is retried once
   * with that, and whichever method the provider accepts first is kept for the life of the process.
   */
  tokenRequest<T>(call: (config: oc.Configuration) => Promise<T>): Promise<T>;
}

function clientAuthFor(cfg: OidcConfig, supported: string[] | undefined): ClientAuthUsed {
  if (!cfg.clientSecret || cfg.clientAuth === 'none') return 'none';
  if (cfg.clientAuth !== 'auto') return cfg.clientAuth;
  // Basic is the spec default when the provider says nothing (Casdoor) and what certification uses.
  if (supported && !supported.includes('client_secret_basic') && supported.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

/**
 * True when the token endpoint refused the client's authentication: invalid_client (RFC 6749 §5.2, a 401 with
 * a challenge when Basic was used), or unauthorized_client, which providers that compare the Basic user id
 * without URL-decoding it (§2.3.1) answer too. Either way nothing was consumed: authentication comes first.
 */
function clientAuthRefused(err: unknown): boolean {
  if (err instanceof oc.WWWAuthenticateChallengeError) return err.status === 401;
  return err instanceof oc.ResponseBodyError && (err.error === 'invalid_client' || err.error === 'unauthorized_client');
}

/**
 * The client's authentication at the token endpoint, one Configuration per method. RFC 6749 §2.3.1 has Basic
 * credentials form-urlencoded first, and openid-client encodes even `-` and `.`; some providers compare them
 * undecoded and refuse a client id such as cloud.lazycat.app.x, which is why auto mode may switch once.
 */
export function createClientAuth(cfg: OidcConfig, metadata: oc.ServerMetadata, insecureHttp: boolean, logger?: Logger): ClientAuth {
  const configs = new Map<ClientAuthUsed, oc.Configuration>();
  const configFor = (method: ClientAuthUsed): oc.Configuration => {
    let config = configs.get(method);
    if (!config) {
      const secret = cfg.clientSecret ?? '';
      const auth =
        method === 'client_secret_basic'
          ? oc.ClientSecretBasic(secret)
          : method === 'client_secret_post'
            ? oc.ClientSecretPost(secret)
            : oc.None();
      config = new oc.Configuration(
        metadata,
        cfg.clientId,
        { [oc.clockTolerance]: cfg.clockToleranceSec, ...(cfg.clientSecret && { client_secret: cfg.clientSecret }) },
        auth,
      );
      config.timeout = cfg.httpTimeoutSec;
      config[oc.customFetch] = providerFetch;
      if (insecureHttp) oc.allowInsecureRequests(config);
      configs.set(method, config);
    }
    return config;
  };
  let clientAuth = clientAuthFor(cfg, metadata.token_endpoint_auth_methods_supported);
  // Only auto mode's own choice of Basic is retried, and only until the provider has accepted one method.
  let fallback: ClientAuthUsed | undefined =
    cfg.clientAuth === 'auto' &&
    clientAuth === 'client_secret_basic' &&
    metadata.token_endpoint_auth_methods_supported?.includes('client_secret_post')
      ? 'client_secret_post'
      : undefined;
  const settle = (method: ClientAuthUsed): void => {
    if (!fallback) return;
    if (method === fallback) {
      logger?.warn(
        { clientAuth: method },
        'the token endpoint refused client_secret_basic (it does not URL-decode Basic credentials, RFC 6749 §2.3.1) and accepted client_secret_post: using that from now on (OIDC_CLIENT_AUTH=client_secret_post skips the first attempt)',
      );
    } else {
      logger?.info({ clientAuth: method }, 'the token endpoint accepted client_secret_basic');
    }
    clientAuth = method;
    fallback = undefined;
  };
  const attempt = async <T>(method: ClientAuthUsed, call: (config: oc.Configuration) => Promise<T>): Promise<T> => {
    try {
      const result = await call(configFor(method));
      settle(method);
      return result;
    } catch (err) {
      // Another OAuth error (invalid_grant…) is an answer to an authenticated client; an outage proves nothing.
      if (err instanceof oc.ResponseBodyError && err.status < 500 && !clientAuthRefused(err)) settle(method);
      throw err;
    }
  };
  return {
    get config() {
      return configFor(clientAuth);
    },
    get method() {
      return clientAuth;
    },
    async tokenRequest(call) {
      const method = clientAuth;
      try {
        return await attempt(method, call);
      } catch (err) {
        if (!clientAuthRefused(err)) throw err;
        // Another request may have settled on a method meanwhile; otherwise the advertised alternative.
        const retry = clientAuth !== method ? clientAuth : fallback;
        if (!retry) throw err;
        // The same request once more, the credentials in the body. If those are refused too, the credentials
        // themselves are wrong, and the first refusal is the one to report.
        return await attempt(retry, call).catch((again: unknown) => {
          throw clientAuthRefused(again) ? err : again;
        });
      }
    },
  };
}
