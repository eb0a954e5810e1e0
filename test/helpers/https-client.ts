/**
 * HTTPS requests to a webhook on loopback, checked the way the API server
 * checks them (CLUSTER-NOTES 1.6): the test CA as the only trust anchor and
 * the Service DNS name as the TLS server name, HTTP/1.1.
 */
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { PeerCertificate } from 'node:tls';

export const SERVICE_NAME = 'image-cloner.image-cloner.svc';

export interface HttpsTarget {
  readonly port: number;
  readonly ca: string;
  readonly servername?: string;
  readonly agent?: Agent;
}

export interface HttpsRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

export interface HttpsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The server certificate this response came over. */
  readonly certificate: PeerCertificate;
  /** The local port of the connection (tells whether a keep-alive connection was reused). */
  readonly localPort: number | undefined;
}

export function httpsRequest(target: HttpsTarget, req: HttpsRequest): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (body !== undefined && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      headers['content-length'] = String(body.length);
    }
    const clientRequest = request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        ca: target.ca,
        servername: target.servername ?? SERVICE_NAME,
        agent: target.agent ?? false,
        timeout: 20_000,
      },
      (res) => {
        const socket = res.socket;
        if (!(socket instanceof TLSSocket)) {
          reject(new Error('not a TLS connection'));
          return;
        }
        const certificate = socket.getPeerCertificate();
        const localPort = socket.localPort;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), certificate, localPort }),
        );
        res.on('error', reject);
      },
    );
    clientRequest.on('timeout', () => clientRequest.destroy(new Error('request timed out')));
    clientRequest.on('error', reject);
    clientRequest.end(body);
  });
}
