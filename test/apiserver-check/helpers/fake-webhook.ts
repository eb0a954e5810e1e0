/**
 * A scripted webhook for the stand-in's tests: node:https on 127.0.0.1
 * port 0 with the test PKI's server certificate (SANs include
 * `hook.webhooks.svc`), answering each POST with what the test's script
 * returns and recording what it received (headers, path and query, ALPN,
 * SNI, body). `close()` drops every connection.
 */
import { createServer } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { TLSSocket } from 'node:tls';
import { z } from 'zod';
import type { TestPki } from '../../helpers/tls.js';

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly path: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly alpnProtocol: string | false;
  readonly servername: string | false;
  readonly body: string;
  /** The parsed body; `request.uid` etc. */
  readonly review: Review;
}

const reviewSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  request: z.looseObject({ uid: z.string() }),
});
export type Review = z.infer<typeof reviewSchema>;

export interface Reply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON, unless `raw` is given. */
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly delayMs?: number;
}

export type Script = (request: ReceivedRequest, n: number) => Reply | Promise<Reply>;

export interface FakeWebhook {
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Requests whose path is `path` (e.g. "/a"). */
  requestsTo(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startFakeWebhook(
  pki: TestPki,
  script: Script,
  keyPair: Pick<TestPki['server'], 'keyPem' | 'certPem'> = pki.server,
): Promise<FakeWebhook> {
  const requests: ReceivedRequest[] = [];
  const server = createServer({ key: keyPair.keyPem, cert: keyPair.certPem, ALPNProtocols: ['http/1.1'] }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const socket = req.socket;
        const body = Buffer.concat(chunks).toString('utf8');
        const url = req.url ?? '';
        const received: ReceivedRequest = {
          method: req.method ?? '',
          url,
          path: url.split('?')[0] ?? '',
          httpVersion: req.httpVersion,
          headers: req.headers,
          alpnProtocol: socket instanceof TLSSocket ? (socket.alpnProtocol ?? false) : false,
          // The SNI the client sent; node sets it on server-side sockets without declaring it.
          servername: 'servername' in socket && typeof socket.servername === 'string' ? socket.servername : false,
          body,
          review: reviewSchema.parse(JSON.parse(body)),
        };
        requests.push(received);
        const reply = await script(received, requests.length);
        // unref: a test that is done does not wait for a slow answer nobody reads any more.
        if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs).unref());
        if (res.destroyed) return;
        const payload = reply.raw ?? JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
        res.end(payload);
      })().catch((error: unknown) => {
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`fake webhook script failed: ${String(error)}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake webhook: no port');
  return {
    port: address.port,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An AdmissionReview v1 response echoing the request's uid. */
export function answer(request: ReceivedRequest, response: Record<string, unknown>): Reply {
  return {
    body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.review.request.uid, ...response } },
  };
}

export function allow(request: ReceivedRequest, extra: Record<string, unknown> = {}): Reply {
  return answer(request, { allowed: true, ...extra });
}

export function patchWith(request: ReceivedRequest, ops: readonly unknown[], extra: Record<string, unknown> = {}): Reply {
  return allow(request, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64'), ...extra });
}
