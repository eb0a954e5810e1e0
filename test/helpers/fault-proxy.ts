/**
 * A reverse proxy in front of a real registry, used only for what the real
 * registry cannot show: injected faults (5xx, 429 with Retry-After, dropped
 * or corrupted bodies, slow or missing answers) and blob redirects to a CDN
 * on another origin (fault-cdn.ts).
 *
 * Requests are forwarded as they come (method, path, query, headers with
 * Authorization, streamed bodies both ways); `Location` headers that point
 * at the upstream are rewritten to point at the proxy, so upload sessions
 * stay behind it. Rules (fault-rules.ts) pick a fault per request. Every
 * request is recorded for assertions.
 */
import { createServer as createHttpServer, request as httpRequest, Agent as HttpAgent } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { relayWithFault } from './fault-body.js';
import { startFaultCdn } from './fault-cdn.js';
import type { FaultCdn } from './fault-cdn.js';
import { FaultRules, specErrorBody } from './fault-rules.js';
import type { FaultAction, FaultKind, FaultRule, RuleHandle } from './fault-rules.js';

export type { CdnRequestRecord, FaultCdn } from './fault-cdn.js';
export type { FaultAction, FaultKind, FaultRule, RuleHandle } from './fault-rules.js';

export interface FaultProxyOptions {
  /** The registry behind the proxy; a TestRegistry fits. */
  readonly upstream: { readonly url: string; readonly caPem?: string | undefined };
  /** Serve HTTPS with this key pair (e.g. the test PKI's server pair); plain HTTP otherwise. */
  readonly tls?: { readonly keyPem: string; readonly certPem: string };
}

export interface ProxyRequestRecord {
  /** Date.now() when the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly hadAuthorization: boolean;
  /** The fault applied, if any. */
  readonly fault: FaultKind | undefined;
  /** The status sent; undefined while unanswered (and forever for 'hang'). */
  readonly status: number | undefined;
  /** Date.now() when the response ended or its connection closed; undefined while open. */
  readonly endedAt: number | undefined;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, as it appears in image references. */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly cdn: FaultCdn;
  /** Live list, oldest first. */
  readonly requests: readonly ProxyRequestRecord[];
  /** `host/repo:tag` or `host/repo@digest` through the proxy. */
  ref(repo: string, tagOrDigest: string): string;
  addRule(rule: FaultRule): RuleHandle;
  clearRules(): void;
  clearRequests(): void;
  /** Recorded requests with this method whose path matches. */
  requestsTo(method: string, path: RegExp): ProxyRequestRecord[];
  /**
   * Resets the connections of requests held by 'hang' (a registry restarted
   * under a stuck client): the client sees the connection drop, as after a
   * restart, and may retry. Returns how many were reset.
   */
  resetHanging(): number;
  stop(): Promise<void>;
}

type MutableRecord = { -readonly [K in keyof ProxyRequestRecord]: ProxyRequestRecord[K] };

/** RFC 9110 section 7.6.1: connection-specific headers are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream.url);
  const upstreamTls = upstream.protocol === 'https:';
  const agent = upstreamTls
    ? new HttpsAgent({ keepAlive: true, ...(options.upstream.caPem === undefined ? {} : { ca: options.upstream.caPem }) })
    : new HttpAgent({ keepAlive: true });
  const rules = new FaultRules();
  const requests: MutableRecord[] = [];
  const hanging = new Set<ServerResponse>();

  const openUpstream = (method: string, path: string, headers: OutgoingHttpHeaders): ClientRequest =>
    (upstreamTls ? httpsRequest : httpRequest)(new URL(path, upstream), {
      method,
      headers: { ...headers, host: upstream.host },
      agent,
    });

  const cdn = await startFaultCdn(
    (method, path, headers) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const out = openUpstream(method, path, headers);
        out.on('response', resolve).on('error', reject).end();
      }),
  );

  let origin = '';
  const rewriteLocation = (location: string): string =>
    location.startsWith(upstream.origin) ? origin + location.slice(upstream.origin.length) : location;

  const forward = (req: IncomingMessage, res: ServerResponse, record: MutableRecord, action: FaultAction | undefined): void => {
    const out = openUpstream(req.method ?? 'GET', req.url ?? '/', forwardable(req.headers));
    out.on('error', () => {
      if (res.headersSent) res.socket?.destroy();
      else answer(res, record, 502, { 'content-type': 'application/json' }, specErrorBody(502));
    });
    // The client went away: stop talking to upstream too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.on('response', (up) => {
      record.status = up.statusCode;
      const headers = forwardable(up.headers);
      const location = up.headers.location;
      if (location !== undefined) headers['location'] = rewriteLocation(location);
      switch (action?.kind) {
        case 'drop':
        case 'truncate':
        case 'flip-byte':
        case 'throttle':
          relayWithFault(up, res, headers, action);
          return;
        default:
          res.writeHead(up.statusCode ?? 502, headers);
          up.pipe(res);
      }
    });
    req.pipe(out);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const method = req.method ?? '';
    const action = rules.take(method, url.pathname);
    const record: MutableRecord = {
      at: Date.now(),
      method,
      path: url.pathname,
      query: url.search,
      hadAuthorization: req.headers.authorization !== undefined,
      fault: action?.kind,
      status: undefined,
      endedAt: undefined,
    };
    requests.push(record);
    res.on('close', () => {
      record.endedAt = Date.now();
    });
    if (action === undefined) return forward(req, res, record, undefined);
    switch (action.kind) {
      case 'status': {
        req.resume();
        const headers: Record<string, string> = { 'content-type': 'application/json', ...action.headers };
        if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
        return answer(res, record, action.status, headers, action.body ?? specErrorBody(action.status));
      }
      case 'respond':
        req.resume();
        return answer(res, record, action.status, action.headers, action.body);
      case 'hang':
        req.resume();
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'delay':
        await sleep(action.ms);
        if (res.destroyed) return;
        return forward(req, res, record, undefined);
      case 'redirect-to-cdn':
        req.resume();
        return answer(res, record, action.status ?? 307, { location: cdn.issue(req.url ?? '/', req.headers.authorization) }, '');
      case 'redirect':
        req.resume();
        return answer(res, record, action.status ?? 307, { location: action.location }, '');
      case 'drop':
      case 'truncate':
      case 'flip-byte':
      case 'throttle':
        return forward(req, res, record, action);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => {});
    res.on('error', () => {});
    handle(req, res).catch(() => res.socket?.destroy());
  };
  const server = options.tls === undefined
    ? createHttpServer(listener)
    : createHttpsServer({ key: options.tls.keyPem, cert: options.tls.certPem }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const tls = options.tls !== undefined;
  origin = `${tls ? 'https' : 'http'}://${host}`;

  return {
    url: origin,
    host,
    port,
    tls,
    cdn,
    requests,
    ref: (repo, tagOrDigest) => `${host}/${repo}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`,
    addRule: (rule) => rules.add(rule),
    clearRules: () => rules.clear(),
    clearRequests: () => {
      requests.length = 0;
    },
    requestsTo: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)),
    resetHanging: () => {
      const count = hanging.size;
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
      return count;
    },
    stop: async () => {
      rules.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Also ends hanging requests and idle keep-alive connections.
        server.closeAllConnections();
      });
      agent.destroy();
      await cdn.stop();
    },
  };
}

function answer(res: ServerResponse, record: MutableRecord, status: number, headers: OutgoingHttpHeaders, body: Buffer | string): void {
  record.status = status;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
}

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}
