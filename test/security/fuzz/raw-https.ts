/**
 * Raw HTTP/1.1 over TLS to the webhook, for what a well-behaved client
 * cannot send: bodies cut short, dripped slowly, chunked by hand, with a
 * Content-Length that lies. The request is written piece by piece; the
 * answer is read until the server closes (`connection: close` is sent).
 */
import { connect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_NAME } from '../../helpers/https-client.js';
import type { HttpsTarget } from '../../helpers/https-client.js';

export interface RawAnswer {
  /** undefined when the server closed without an answer. */
  readonly status: number | undefined;
  readonly body: string;
}

export interface RawRequest {
  readonly head: string;
  readonly pieces: readonly Buffer[];
  readonly delayMs?: number;
  /** Half-close after the pieces even if the body is incomplete. */
  readonly end?: boolean;
}

export function rawExchange(target: HttpsTarget, req: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: target.port, ca: target.ca, servername: SERVICE_NAME, ALPNProtocols: ['http/1.1'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('raw exchange timed out')), 40_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      // A reset after the answer is an answer; before it, report what came.
      if (chunks.length > 0 || ('code' in error && error.code === 'ECONNRESET')) resolve(parse(Buffer.concat(chunks)));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks)));
    });
    socket.once('secureConnect', () => {
      void (async () => {
        socket.write(req.head);
        for (const piece of req.pieces) {
          if (socket.destroyed) return;
          socket.write(piece);
          if (req.delayMs !== undefined) await sleep(req.delayMs);
        }
        if (req.end === true && !socket.destroyed) socket.end();
      })();
    });
  });
}

/** `POST /mutate` head with these headers (and `connection: close`). */
export function postHead(headers: Readonly<Record<string, string>>): string {
  const lines = Object.entries({ host: SERVICE_NAME, connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `POST /mutate?timeout=10s HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** RFC 9112 7.1 chunked coding of these pieces, ending with the last-chunk. */
export function chunked(pieces: readonly Buffer[]): Buffer[] {
  return [...pieces.map((p) => Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')])), Buffer.from('0\r\n\r\n')];
}

export function split(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function parse(bytes: Buffer): RawAnswer {
  const text = bytes.toString('utf8');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
  const split = text.indexOf('\r\n\r\n');
  return { status: status?.[1] === undefined ? undefined : Number(status[1]), body: split === -1 ? '' : text.slice(split + 4) };
}
