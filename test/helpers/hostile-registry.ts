/**
 * A hostile registry: an HTTP or HTTPS server on 127.0.0.1 port 0 whose
 * every answer is scripted by the test. A stand-in on purpose: no real
 * registry sends endless bodies, lying headers, escaping Locations or
 * absurd manifests, and the client must survive all of them. Every request
 * is recorded (method, path with query, whether Authorization came), and
 * the bytes written on each response are counted, so a test can show that
 * the client stopped reading.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { KeyPair } from './tls.js';

export interface HostileRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly authorization: string | undefined;
  readonly headers: IncomingMessage['headers'];
}

export type HostileScript = (req: IncomingMessage, res: ServerResponse, registry: HostileRegistry) => void | Promise<void>;

export interface HostileRegistry {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** `http(s)://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly requests: HostileRequest[];
  /** Bytes written by `streamEndless` so far, over all responses. */
  readonly written: { bytes: number };
  script: HostileScript;
  stop(): Promise<void>;
}

export interface HostileOptions {
  /** Serve HTTPS with this certificate (the test PKI's server pair). */
  readonly tls?: KeyPair;
  readonly script?: HostileScript;
}

export async function startHostileRegistry(options: HostileOptions = {}): Promise<HostileRegistry> {
  const sockets = new Set<Socket>();
  const requests: HostileRequest[] = [];
  const written = { bytes: 0 };
  let registry: HostileRegistry | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => {});
    res.on('error', () => {});
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, headers: req.headers });
    if (registry === undefined) return;
    // Read what the client sends (an upload), so that it is never stalled by us.
    req.resume();
    Promise.resolve(registry.script(req, res, registry)).catch(() => res.destroy());
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('hostile registry has no port');
  const { port } = address;
  const host = `127.0.0.1:${port}`;
  registry = {
    host,
    origin: `${options.tls === undefined ? 'http' : 'https'}://${host}`,
    requests,
    written,
    script: options.script ?? ((_req, res) => reply(res, 404, {}, '')),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return registry;
}

/** A whole answer. */
export function reply(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

/**
 * An answer whose body never ends (chunked, or under a Content-Length that
 * lies when `declared` is given), written as fast as the client reads,
 * until it goes away. Counts what was written in `registry.written`.
 */
export function streamEndless(
  res: ServerResponse,
  registry: HostileRegistry,
  status: number,
  headers: Record<string, string>,
  piece: Buffer = Buffer.alloc(64 * 1024, 0x20),
): void {
  res.writeHead(status, headers);
  // A HEAD answer has no body: Node takes every write without sending it, so it would never push back.
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  let open = true;
  res.on('close', () => {
    open = false;
  });
  const pump = (): void => {
    while (open) {
      registry.written.bytes += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
