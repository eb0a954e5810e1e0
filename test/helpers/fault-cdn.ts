/**
 * The "CDN" a faulty registry redirects blob GETs to: a second HTTP server,
 * hence another origin, as when a registry on S3 or GCS answers a blob GET
 * with a 307 to a pre-signed URL. Like a pre-signed URL, the Location carries
 * an opaque ticket; the CDN serves the resource by fetching it from upstream
 * itself with what the registry side knew when it issued the ticket, so the
 * client needs no credentials here and must send none. Every request records
 * whether an Authorization header arrived.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CdnRequestRecord {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly hadAuthorization: boolean;
  readonly status: number;
}

export interface FaultCdn {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Live list, oldest first. */
  readonly requests: CdnRequestRecord[];
  /** A Location for `upstreamPath` (path and query) that the CDN will serve with `authorization`. */
  issue(upstreamPath: string, authorization: string | undefined): string;
  stop(): Promise<void>;
}

/** Opens `path` on the upstream registry; resolves with its response. */
export type UpstreamFetch = (method: string, path: string, headers: OutgoingHttpHeaders) => Promise<IncomingMessage>;

interface Ticket {
  readonly path: string;
  readonly authorization: string | undefined;
}

/** Headers a CDN passes on from the origin; the rest (auth challenges, registry headers) stay behind. */
const PASSED_ON = ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges'];

export async function startFaultCdn(fetchUpstream: UpstreamFetch): Promise<FaultCdn> {
  const tickets = new Map<string, Ticket>();
  const requests: CdnRequestRecord[] = [];

  const server = createServer((req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://cdn.invalid');
    const record = (status: number): void => {
      requests.push({
        at: Date.now(),
        method: req.method ?? '',
        path: url.pathname,
        hadAuthorization: req.headers.authorization !== undefined,
        status,
      });
    };
    const ticket = /^\/cdn\/([A-Za-z0-9_-]+)$/.exec(url.pathname)?.[1];
    const found = ticket === undefined ? undefined : tickets.get(ticket);
    if (found === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such object\n');
      return;
    }
    const headers: OutgoingHttpHeaders = found.authorization === undefined ? {} : { authorization: found.authorization };
    fetchUpstream(req.method, found.path, headers).then(
      (up) => {
        const status = up.statusCode ?? 502;
        record(status);
        res.writeHead(status, pick(up.headers));
        up.pipe(res);
        res.on('close', () => up.destroy());
      },
      () => {
        record(502);
        res.writeHead(502).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;

  return {
    url,
    host,
    requests,
    issue: (upstreamPath, authorization) => {
      const id = randomBytes(12).toString('base64url');
      tickets.set(id, { path: upstreamPath, authorization });
      return `${url}/cdn/${id}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function pick(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of PASSED_ON) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
