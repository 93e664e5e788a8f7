import proxyaddr from 'proxy-addr';
import type { Request } from 'express';

export interface ProxyTrust {
  /** True when the request came straight from a trusted proxy, so the headers that proxy sets can be believed. */
  viaTrustedProxy(req: Request): boolean;
  /** True when the browser's request was https: a TLS socket, or a trusted proxy saying X-Forwarded-Proto: https. */
  isHttps(req: Request): boolean;
  /** The host the browser asked for: X-Forwarded-Host from a trusted proxy, else Host. */
  host(req: Request): string | undefined;
}

const firstValue = (header: string | undefined): string | undefined => header?.split(',', 1)[0]?.trim() || undefined;

/**
 * The library's own reading of TRUST_PROXY, so it never depends on (or changes) the host app's
 * `trust proxy` setting: a host that forgot it would otherwise loop on a Secure cookie behind Lazycat's ingress.
 */
export function proxyTrust(setting: boolean | number | string): ProxyTrust {
  const trust =
    setting === true
      ? () => true
      : setting === false
        ? () => false
        : typeof setting === 'number'
          ? (_: string, i: number) => i < setting
          : proxyaddr.compile(setting.split(',').map((s) => s.trim()));
  // Whether the peer is a trusted proxy, once per connection (its address cannot change): parsing the address
  // against TRUST_PROXY on every request of a keep-alive connection showed in the profile of each signed-in request.
  const trustedPeers = new WeakMap<object, boolean>();
  const viaTrustedProxy = (req: Request): boolean => {
    let trusted = trustedPeers.get(req.socket);
    if (trusted === undefined) {
      trusted = trust(req.socket.remoteAddress ?? '', 0);
      trustedPeers.set(req.socket, trusted);
    }
    return trusted;
  };
  return {
    viaTrustedProxy,
    isHttps(req) {
      if ((req.socket as { encrypted?: boolean }).encrypted) return true;
      return viaTrustedProxy(req) && firstValue(req.get('x-forwarded-proto'))?.toLowerCase() === 'https';
    },
    host: (req) => (viaTrustedProxy(req) ? firstValue(req.get('x-forwarded-host')) : undefined) ?? req.get('host'),
  };
}
