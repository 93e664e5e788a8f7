import proxyaddr from 'proxy-addr';
import type { Request } from 'express';

export interface ProxyTrust {
  /** True when the browser's request was https: a TLS socket, or a trusted proxy saying X-Forwarded-Proto: https. */
  isHttps(req: Request): boolean;
  /** The client's address, through trusted proxies only. */
  clientIp(req: Request): string;
}

/**
 * The library's own reading of TRUST_PROXY, so it never depends on (or changes) the host app's
 * `trust proxy` setting: a host that forgot it would otherwise loop on a Secure cookie behind Lazycat's ingress.
 */
export function proxyTrust(setting: boolean | number | string): ProxyTrust {
  const trust =
    setting === true ? () => true : setting === false ? () => false : typeof setting === 'number' ? (_: string, i: number) => i < setting : proxyaddr.compile(setting.split(',').map((s) => s.trim()));
  return {
    isHttps(req) {
      if ((req.socket as { encrypted?: boolean }).encrypted) return true;
      if (!trust(req.socket.remoteAddress ?? '', 0)) return false;
      const proto = req.get('x-forwarded-proto');
      return proto?.split(',', 1)[0]?.trim().toLowerCase() === 'https';
    },
    clientIp: (req) => proxyaddr(req, trust),
  };
}
