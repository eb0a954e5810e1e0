/**
 * Where a webhook call goes (CLUSTER-NOTES 1.6; apiserver
 * pkg/util/webhook/client.go HookClient): for `service`, the URL
 * `https://<name>.<namespace>.svc:<port|443><path>` whose host is also the
 * TLS server name, while the connection is dialled to the Service's
 * endpoints (the `resolveService` callback plays the cluster's service
 * resolver); for `url`, that URL with port 443 by default. caBundle is
 * base64 PEM; when it is empty the system roots apply.
 */
import type { WebhookTarget } from './webhook-client.js';
import type { ClientConfig } from './webhook-configuration.js';

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** The Service's endpoints: tests map `<ns>/<name>:<port>` to a loopback server. Throw for "no endpoints". */
export type ServiceResolver = (namespace: string, name: string, port: number) => Address;
/** For `clientConfig.url`: where its host really is. Defaults to the host itself. */
export type UrlHostResolver = (hostname: string, port: number) => Address;

export class ClientConfigError extends Error {
  readonly code = 'WEBHOOK_CLIENT_CONFIG';
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function caPemOf(caBundle: string): string | undefined {
  if (caBundle === '') return undefined;
  const pem = Buffer.from(caBundle, 'base64').toString('utf8');
  if (!PEM_CERTIFICATE.test(pem)) {
    throw new ClientConfigError('could not get REST client: unable to load root certificates: unable to parse bytes as PEM block');
  }
  return pem;
}

/** `timeoutSeconds` is the rounded-up time left, or undefined when none is left (no query then, as in Go). */
export function resolveWebhookTarget(
  clientConfig: ClientConfig,
  timeoutSeconds: number | undefined,
  resolveService: ServiceResolver,
  resolveUrlHost: UrlHostResolver | undefined,
): WebhookTarget {
  const caPem = caPemOf(clientConfig.caBundle);
  const query = timeoutSeconds === undefined ? '' : `?timeout=${timeoutSeconds}s`;
  const { service, url } = clientConfig;
  if (service !== undefined) {
    const hostname = `${service.name}.${service.namespace}.svc`;
    const path = service.path ?? '';
    return {
      url: `https://${hostname}:${service.port}${path}${query}`,
      hostname,
      port: service.port,
      // An empty path goes on the wire as "/", as Go sends it.
      pathAndQuery: `${path === '' ? '/' : path}${query}`,
      dial: () => resolveService(service.namespace, service.name, service.port),
      caPem,
    };
  }
  if (url === undefined) throw new ClientConfigError('webhook configuration must have either service or URL');
  const parsed = new URL(url);
  const port = parsed.port === '' ? 443 : Number(parsed.port);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  // Go keeps the URL's path as written: "https://h" has "", "https://h/" has "/".
  const path = /^https:\/\/[^/]+$/i.test(url) ? '' : parsed.pathname;
  return {
    url: `https://${parsed.host}${path}${query}`,
    hostname,
    port,
    pathAndQuery: `${path === '' ? '/' : path}${query}`,
    dial: () => resolveUrlHost?.(hostname, port) ?? { host: hostname, port },
    caPem,
  };
}

