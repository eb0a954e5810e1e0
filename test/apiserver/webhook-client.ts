/**
 * One HTTPS POST to a webhook the way kube-apiserver makes it (CLUSTER-NOTES
 * 1.6; apiserver pkg/util/webhook/client.go and client-go rest/request.go):
 * dial the address the Service resolves to, verify TLS against the
 * caBundle (or the system roots when it is empty) and the server name
 * `<svc>.<ns>.svc`, which must be a DNS SAN (Go ignores the CN), ALPN
 * pinned to http/1.1, client-go's headers, and a deadline covering the
 * whole exchange. Failures are `WebhookCallError`s worded like Go's
 * (`Post "<url>": ...`); the caller turns them into call errors.
 */
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { gunzipSync } from 'node:zlib';

/** Not an API server limit (client-go reads it all); a bound so a broken webhook cannot exhaust the test process. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface WebhookTarget {
  /** What kube-apiserver prints in errors, query included: https://svc.ns.svc:443/path?timeout=10s */
  readonly url: string;
  /** Host part of the URL: TLS server name and Host header. */
  readonly hostname: string;
  readonly port: number;
  /** Path and query sent on the wire. */
  readonly pathAndQuery: string;
  /** Where the connection really goes (the Service's endpoints); may throw, which is a dial error. */
  readonly dial: () => { readonly host: string; readonly port: number };
  /** PEM CA certificates from caBundle; undefined means the system roots. */
  readonly caPem: string | undefined;
}

export interface WebhookHttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export class WebhookCallError extends Error {
  readonly code = 'WEBHOOK_CALL_FAILED';
}

export const REQUEST_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, */*',
  'user-agent': 'kube-apiserver-admission',
  // Go's transport asks for gzip on its own and decompresses transparently.
  'accept-encoding': 'gzip',
} as const;

/** Go's crypto/x509 has ignored the Common Name since Go 1.15: the name must be a SAN. */
function verifyServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '').split(', ');
  if (isIP(hostname) === 0 && !sans.some((san) => san.startsWith('DNS:'))) {
    return new Error('x509: certificate relies on legacy Common Name field, use SANs instead');
  }
  return checkServerIdentity(hostname, cert);
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

function describe(error: unknown, dial: { readonly host: string; readonly port: number }): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  if (UNKNOWN_AUTHORITY.has(code)) return `tls: failed to verify certificate: x509: certificate signed by unknown authority (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${message}`;
  if (code === 'ECONNREFUSED') return `dial tcp ${dial.host}:${dial.port}: connect: connection refused`;
  return code === '' ? message : `${message} (${code})`;
}

export function postToWebhook(target: WebhookTarget, body: string, timeoutMs: number): Promise<WebhookHttpResponse> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string, cause?: unknown): void => reject(new WebhookCallError(`Post "${target.url}": ${reason}`, { cause }));
    let dial: { readonly host: string; readonly port: number };
    try {
      dial = target.dial();
    } catch (error) {
      fail(`dial tcp: ${error instanceof Error ? error.message : String(error)}`, error);
      return;
    }
    const payload = Buffer.from(body, 'utf8');
    const hostIsIp = isIP(target.hostname) !== 0;
    // ALPNProtocols reaches tls.connect through the agent; RequestOptions does not declare it.
    const options: RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'> = {
      host: dial.host,
      port: dial.port,
      method: 'POST',
      path: target.pathAndQuery,
      headers: {
        ...REQUEST_HEADERS,
        host: `${hostIsIp && target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname}:${target.port}`,
        'content-length': String(payload.length),
      },
      // SNI carries DNS names only; an IP URL is checked against its IP SANs.
      ...(hostIsIp ? {} : { servername: target.hostname }),
      ...(target.caPem === undefined ? {} : { ca: target.caPem }),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => verifyServerIdentity(target.hostname, cert),
      ALPNProtocols: ['http/1.1'],
      minVersion: 'TLSv1.2',
      agent: false,
    };
    const req = request(options);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      fail('context deadline exceeded');
    }, Math.max(0, timeoutMs));
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    req.on('error', (error) => finish(() => fail(describe(error, dial), error)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy();
          finish(() => fail(`response body larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => finish(() => fail(describe(error, dial), error)));
      // A connection closed mid-body (no 'end'); after 'end' this is a no-op.
      res.on('close', () => finish(() => fail('unexpected EOF')));
      res.on('end', () =>
        finish(() => {
          let raw = Buffer.concat(chunks);
          try {
            if ((res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') raw = gunzipSync(raw);
          } catch (error) {
            fail(`gzip: invalid response body`, error);
            return;
          }
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: raw.toString('utf8') });
        }),
      );
    });
    req.end(payload);
  });
}
