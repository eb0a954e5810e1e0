/**
 * A stand-in for a registry WITH the OCI 1.1 referrers API, which no real
 * peer on this machine has (distribution 2.8.2 answers 404): a plain-HTTP
 * proxy in front of the real registry that adds what distribution spec 1.1
 * requires and forwards everything else untouched.
 *
 *   - "Pushing Manifests with Subject": a manifest PUT with a `subject` is
 *     answered with `OCI-Subject: <subject digest>`, and the manifest is
 *     recorded as a referrer of its subject.
 *   - "Listing Referrers": `GET /v2/<name>/referrers/<digest>` answers 200
 *     with an OCI image index of the recorded referrers (descriptor with
 *     `artifactType` = the manifest's, else its config's media type, and its
 *     annotations), even when there are none; `?artifactType=` filters and
 *     is acknowledged with `OCI-Filters-Applied: artifactType`; past
 *     `pageSize` entries the answer is paginated with
 *     `Link: <...>; rel="next"`.
 *
 * Only what the tests need: an anonymous upstream over plain HTTP, bodies
 * buffered (test artifacts are small).
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export interface ReferrersApiProxy {
  readonly url: string;
  readonly host: string;
  /** Every request, oldest first: `METHOD path?query`. */
  readonly requests: readonly string[];
  ref(repo: string, tagOrDigest: string): string;
  stop(): Promise<void>;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const ROUTE = /^\/v2\/(.+)\/(manifests|referrers)\/([^/]+)$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

const pushedManifest = z.looseObject({
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: z.looseObject({ mediaType: z.string() }).optional(),
  subject: z.looseObject({ digest: z.string() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

interface Entry {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export async function startReferrersApiProxy(upstreamUrl: string, options: { readonly pageSize?: number } = {}): Promise<ReferrersApiProxy> {
  const upstream = new URL(upstreamUrl);
  const pageSize = options.pageSize ?? 100;
  const requests: string[] = [];
  /** `<name> <subject digest>` -> referrers in push order. */
  const referrers = new Map<string, Entry[]>();
  let origin = '';

  function record(name: string, body: Buffer, contentType: string | undefined): string | undefined {
    let parsed;
    try {
      parsed = pushedManifest.safeParse(JSON.parse(body.toString('utf8')));
    } catch {
      return undefined;
    }
    const subject = parsed.success ? parsed.data.subject?.digest : undefined;
    if (!parsed.success || subject === undefined) return undefined;
    const doc = parsed.data;
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const artifactType = doc.artifactType ?? doc.config?.mediaType;
    const entry: Entry = {
      mediaType: doc.mediaType ?? contentType ?? '',
      digest,
      size: body.length,
      ...(artifactType === undefined ? {} : { artifactType }),
      ...(doc.annotations === undefined ? {} : { annotations: doc.annotations }),
    };
    const list = referrers.get(`${name} ${subject}`) ?? [];
    if (!list.some((e) => e.digest === digest)) list.push(entry);
    referrers.set(`${name} ${subject}`, list);
    return subject;
  }

  function listReferrers(res: ServerResponse, name: string, digest: string, query: URLSearchParams): void {
    if (!DIGEST.test(digest)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'invalid digest' }] }));
      return;
    }
    const wanted = query.get('artifactType');
    const all = (referrers.get(`${name} ${digest}`) ?? []).filter((e) => wanted === null || e.artifactType === wanted);
    const start = Number(query.get('last') ?? '0');
    const page = all.slice(start, start + pageSize);
    const headers: Record<string, string> = { 'content-type': OCI_INDEX };
    if (wanted !== null) headers['oci-filters-applied'] = 'artifactType';
    if (start + pageSize < all.length) {
      const next = new URLSearchParams(query);
      next.set('last', String(start + pageSize));
      headers['link'] = `</v2/${name}/referrers/${digest}?${next.toString()}>; rel="next"`;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: page }));
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, subject: () => string | undefined): Promise<void> {
    const headers = { ...req.headers, host: upstream.host };
    const upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = httpRequest(new URL(req.url ?? '/', upstream), { method: req.method, headers }, resolve);
      out.on('error', reject);
      out.end(body);
    });
    const answer = await readAll(upstreamRes);
    const outHeaders: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(upstreamRes.headers)) {
      if (value === undefined) continue;
      outHeaders[key] = key === 'location' && typeof value === 'string' ? value.replace(upstream.origin, origin) : value;
    }
    const status = upstreamRes.statusCode ?? 502;
    if (status === 201) {
      const pushedSubject = subject();
      if (pushedSubject !== undefined) outHeaders['oci-subject'] = pushedSubject;
    }
    res.writeHead(status, outHeaders);
    res.end(answer);
  }

  const server = createServer((req, res) => {
    void (async () => {
      requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const url = new URL(req.url ?? '/', 'http://proxy.invalid');
      const route = ROUTE.exec(url.pathname);
      const body = await readAll(req);
      if (route !== null && route[2] === 'referrers' && req.method === 'GET') {
        listReferrers(res, route[1] ?? '', decodeURIComponent(route[3] ?? ''), url.searchParams);
        return;
      }
      const isManifestPut = route !== null && route[2] === 'manifests' && req.method === 'PUT';
      const contentType = req.headers['content-type'];
      await forward(req, res, body, () => (isManifestPut ? record(route[1] ?? '', body, contentType) : undefined));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    host: `127.0.0.1:${port}`,
    requests,
    ref: (repo, tagOrDigest) => `127.0.0.1:${port}/${repo}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
