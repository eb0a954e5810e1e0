/**
 * The floor of bench/webhook.sh: the least a webhook must do per admission.
 * A bare `node:https` server, run as its own process like `serve`, with the
 * same certificate and the same TLS and keep-alive settings as
 * src/server/webhook-server.ts; it reads the body, JSON.parses it and answers
 * a fixed AdmissionReview (allowed, with the request's uid, no patch).
 * Everything ours does beyond that (validation, planning, cache lookups, the
 * patch, logs, metrics) is what the benchmark puts a price on.
 *
 * Env: TLS_CERT_FILE, TLS_KEY_FILE, PORT (0: any free port). Logs one line
 * `{"msg":"listening","port":N}`; exits on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`bare-webhook-server: ${name} is required`);
  return value;
}

function uidOf(review: unknown): string {
  if (typeof review !== 'object' || review === null || !('request' in review)) return '';
  const request = review.request;
  if (typeof request !== 'object' || request === null || !('uid' in request)) return '';
  return typeof request.uid === 'string' ? request.uid : '';
}

const server = createServer(
  {
    cert: readFileSync(requiredEnv('TLS_CERT_FILE'), 'utf8'),
    key: readFileSync(requiredEnv('TLS_KEY_FILE'), 'utf8'),
    // As webhook-server.ts: the same TLS versions, ALPN and connection timeouts.
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
    headersTimeout: 15_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 95_000,
  },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: string;
      try {
        const review: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        body = JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: uidOf(review), allowed: true },
        });
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('not JSON\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  },
);

server.listen(Number(process.env['PORT'] ?? '0'), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
