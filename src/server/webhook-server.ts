/**
 * The HTTPS server: `POST /mutate`, `GET /healthz`, `GET /readyz`,
 * `GET /metrics`. HTTP/1.1 only (the API server pins ALPN to http/1.1,
 * CLUSTER-NOTES 1.6) and TLS 1.2 at least. Plain HTTP on this port fails the
 * TLS handshake and gets no HTTP answer.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdmissionHandler } from './admission-handler.js';
import { errorFields } from './logger.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { readBody } from './read-body.js';
import type { Readiness } from './readiness.js';

export interface WebhookServerOptions {
  readonly cert: string;
  readonly key: string;
  readonly admission: AdmissionHandler;
  readonly metrics: ServerMetrics;
  readonly readiness: Readiness;
  readonly logger: Logger;
  readonly maxRequestBytes: number;
}

export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * Mozilla's "intermediate" server policy (ssl-config.mozilla.org, v5.7) minus
 * its DHE suites: forward secrecy (ECDHE) and AEAD (GCM, ChaCha20-Poly1305)
 * only. Node's default list is not this strict: its `HIGH` tail adds CBC
 * suites with SHA-1 and SHA-2 MACs (ECDHE-ECDSA-AES128-SHA...), and static-RSA
 * key exchange without forward secrecy for RSA keys. Go's crypto/tls (the API
 * server's client) offers every suite listed here and none of the DHE ones,
 * which Node would not negotiate anyway without a `dhparam`. The TLS 1.3
 * names keep its three suites, all AEAD; a `ciphers` string without them
 * would leave TLS 1.3 with none. test/security/tls-policy.test.ts checks what
 * the running server accepts.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Everything about TLS but the certificate, for the server and for each reload. */
const TLS_POLICY = { minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS } as const;

/** Path labels for the response metric: a fixed set, whatever clients ask for. */
const ROUTES = new Set(['/mutate', '/healthz', '/readyz', '/metrics']);
const JSON_TYPE = /^application\/json\s*(;.*)?$/i;

export function createWebhookServer(options: WebhookServerOptions): Server {
  const { logger, metrics } = options;
  const server = createServer(
    {
      cert: options.cert,
      key: options.key,
      ...TLS_POLICY,
      ALPNProtocols: ['http/1.1'],
      // Slow or stalled clients cannot hold a request open for long: the API
      // server gives a webhook call at most 30 s (CLUSTER-NOTES 1.6).
      headersTimeout: 15_000,
      requestTimeout: 30_000,
      // Longer than the 90 s idle timeout of Go's http.Transport, which the
      // API server's client keeps: the client then always closes an idle
      // connection first, and never sends a POST on a connection we are
      // closing (such a POST fails and is not retried: a call error).
      keepAliveTimeout: 95_000,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.error('request failed', { path: pathOf(req), ...errorFields(error) });
        if (!res.headersSent) send(res, 503, 'internal error\n', { connection: 'close' });
        else res.destroy();
      });
    },
  );
  // Bounded: past this, new sockets are dropped instead of costing memory. A
  // few API server instances, the kubelet's probes and a scraper need far fewer.
  server.maxConnections = 1024;
  server.on('tlsClientError', (error) => logger.debug('tls handshake failed', errorFields(error)));

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    const path = ROUTES.has(pathOf(res.req)) ? pathOf(res.req) : 'other';
    metrics.recordResponse(path, status);
    // While shutting down, a keep-alive connection would otherwise idle on
    // until its timeout and hold server.close() back: close it after this answer.
    const closing = options.readiness.state === 'shutting-down' ? { connection: 'close' } : {};
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
      ...closing,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://webhook.invalid');
    } catch {
      return send(res, 400, 'bad request target\n');
    }
    const method = req.method ?? 'GET';
    switch (url.pathname) {
      case '/mutate':
        if (method !== 'POST') return send(res, 405, 'method not allowed\n', { allow: 'POST' });
        return mutate(req, res, url);
      case '/healthz':
      case '/readyz':
      case '/metrics':
        if (method !== 'GET' && method !== 'HEAD') {
          return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
        }
        if (url.pathname === '/healthz') return send(res, 200, 'ok\n');
        if (url.pathname === '/readyz') {
          return options.readiness.ready ? send(res, 200, 'ok\n') : send(res, 503, `${options.readiness.state}\n`);
        }
        {
          const rendered = await metrics.render();
          return send(res, 200, rendered.body, { 'content-type': rendered.contentType });
        }
      default:
        return send(res, 404, 'not found\n');
    }
  };

  const mutate = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const contentType = req.headers['content-type'] ?? '';
    if (!JSON_TYPE.test(contentType)) {
      // The body is not read: close rather than leave it in the stream.
      return send(res, 415, 'Content-Type must be application/json\n', { connection: 'close' });
    }
    const body = await readBody(req, options.maxRequestBytes);
    switch (body.kind) {
      case 'too-large':
        logger.warn('request body too large', { limit: options.maxRequestBytes });
        return send(res, 413, `request body over ${options.maxRequestBytes} bytes\n`, { connection: 'close' });
      case 'aborted':
        res.destroy();
        return;
      case 'body': {
        const answer = await options.admission(body.bytes, url.searchParams.get('timeout'));
        return send(res, answer.status, answer.body, { 'content-type': answer.contentType });
      }
    }
  };

  return server;
}

/**
 * Swaps the serving certificate: new connections get it, established ones
 * keep theirs. setSecureContext rebuilds the context from these options
 * alone, so the TLS policy is given again; without it a reload would fall
 * back to Node's default minimum, which `--tls-min-v1.0` (also via
 * NODE_OPTIONS) lowers, and to Node's default cipher list.
 */
export function setServerTls(server: Server, pair: { readonly cert: string; readonly key: string }): void {
  server.setSecureContext({ cert: pair.cert, key: pair.key, ...TLS_POLICY });
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
