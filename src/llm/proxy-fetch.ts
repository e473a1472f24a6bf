import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { ProxyConfig } from '../config.js';

/**
 * The `fetch` the model providers call with: undici's, through a dispatcher of its own that sends each call
 * through HTTP_PROXY or HTTPS_PROXY unless NO_PROXY names its host, as corporate networks need. The process-wide
 * dispatcher (Node's own `fetch`, the .NET client) is left alone.
 */
export function proxyAwareFetch(proxy: ProxyConfig): typeof fetch {
  // Empty strings, not undefined: the agent would read the environment itself, and config.ts alone reads it.
  // An http:// target goes to the proxy as a plain request, as curl sends it: a CONNECT tunnel to it (undici's default)
  // is refused by proxies that allow CONNECT to port 443 alone.
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: proxy.httpProxy ?? '',
    httpsProxy: proxy.httpsProxy ?? '',
    noProxy: proxy.noProxy ?? '',
    proxyTunnel: false,
  });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
}
