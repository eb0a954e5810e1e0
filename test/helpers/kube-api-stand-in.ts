/**
 * A Kubernetes API server stand-in for the few endpoints the webhook calls
 * (no real API server can run on these machines): HTTPS with the test PKI
 * on 127.0.0.1 port 0, bearer tokens checked, a per-verb RBAC switch, and
 *
 * - core/v1 Secrets in a namespace: GET, POST (201, or 409 AlreadyExists),
 *   PUT (409 Conflict when `metadata.resourceVersion` is stale; the type is
 *   immutable; kubernetes.io/tls needs tls.crt and tls.key);
 * - admissionregistration.k8s.io/v1 MutatingWebhookConfigurations: GET and
 *   PATCH with `application/json-patch+json` only (RFC 6902, applied by the
 *   independent test applier; a failing op gives 422 Invalid as in the API
 *   server's patch handler; a resourceVersion in the patched object that
 *   differs from the stored one gives 409 Conflict, as an update would);
 *
 * every error a metav1.Status (kube-status.ts). Faults: a status or body for
 * the next matching requests, a slow answer, and a barrier that holds
 * matching requests until N have arrived (to make two clients race).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PatchError, applyPatch } from '../core/apply-patch.js';
import * as status from './kube-status.js';
import type { StatusBody, StatusTarget } from './kube-status.js';
import type { KeyPair } from './tls.js';

export type JsonObject = Record<string, unknown>;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly token: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
  status: number;
  reason?: string;
}

export interface Fault {
  readonly method?: string;
  readonly path?: RegExp;
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Waits this long before answering (normally). */
  readonly delayMs?: number;
  /** How many matching requests it hits (1 by default). */
  times?: number;
}

export const SERVICE_ACCOUNT_USER = 'system:serviceaccount:image-cloner:image-cloner';
const SECRETS = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/;
const MWC = /^\/apis\/admissionregistration\.k8s\.io\/v1\/mutatingwebhookconfigurations\/([^/]+)$/;
const VERBS: Readonly<Record<string, string>> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch' };

class Reply {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {}
}

export class KubeApiStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #secrets = new Map<string, JsonObject>();
  readonly #mwcs = new Map<string, JsonObject>();
  readonly #denied = new Set<string>();
  readonly #faults: Fault[] = [];
  #tokens: Set<string>;
  #version = 100;
  #barrier: { method: string; path: RegExp; count: number; waiting: Array<() => void> } | undefined;
  /** Runs before a request is handled (after faults and barrier): e.g. another writer changing the object. */
  beforeHandle: ((method: string, path: string) => void) | undefined;

  private constructor(server: Server, tokens: readonly string[]) {
    this.#server = server;
    this.#tokens = new Set(tokens);
  }

  static async start(pki: { readonly server: KeyPair }, tokens: readonly string[]): Promise<KubeApiStandIn> {
    let standIn: KubeApiStandIn | undefined;
    const server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      standIn?.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, status.internalError(String(error)));
        else res.destroy();
      });
    });
    standIn = new KubeApiStandIn(server, tokens);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get url(): URL {
    return new URL(`https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`);
  }

  acceptTokens(tokens: readonly string[]): void {
    this.#tokens = new Set(tokens);
  }

  /** RBAC: refuse `verb` (get, create, update, patch) on `resource` with 403 Forbidden. */
  deny(verb: string, resource: string): void {
    this.#denied.add(`${verb} ${resource}`);
  }

  allow(verb: string, resource: string): void {
    this.#denied.delete(`${verb} ${resource}`);
  }

  inject(fault: Fault): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Holds requests matching method and path until `count` of them arrived, then lets all go (once). */
  barrier(method: string, path: RegExp, count: number): void {
    this.#barrier = { method, path, count, waiting: [] };
  }

  secret(namespace: string, name: string): JsonObject | undefined {
    const stored = this.#secrets.get(`${namespace}/${name}`);
    return stored === undefined ? undefined : structuredClone(stored);
  }

  /** Stores (or replaces) a Secret as if someone had created it; returns it with its new resourceVersion. */
  putSecret(namespace: string, secret: JsonObject, uid: string = randomUUID()): JsonObject {
    const metadata: JsonObject = { ...(secret['metadata'] as JsonObject), namespace, resourceVersion: this.#nextVersion(), uid };
    const stored = { apiVersion: 'v1', kind: 'Secret', ...secret, metadata };
    this.#secrets.set(`${namespace}/${String(metadata['name'])}`, stored);
    return structuredClone(stored);
  }

  mutatingWebhookConfiguration(name: string): JsonObject | undefined {
    const stored = this.#mwcs.get(name);
    return stored === undefined ? undefined : structuredClone(stored);
  }

  putMutatingWebhookConfiguration(configuration: JsonObject): JsonObject {
    const metadata: JsonObject = { ...(configuration['metadata'] as JsonObject), resourceVersion: this.#nextVersion(), uid: randomUUID() };
    const stored = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', ...configuration, metadata };
    this.#mwcs.set(String(metadata['name']), stored);
    return structuredClone(stored);
  }

  /** Requests with this method whose path matches (the record of what the client did). */
  count(method: string, path: RegExp, code?: number): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path) && (code === undefined || r.status === code)).length;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #nextVersion(): string {
    this.#version += 1;
    return String(this.#version);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const raw = await readBody(req);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') === true ? auth.slice(7) : undefined;
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      body = raw.toString('utf8');
    }
    const record: RecordedRequest = { method, path, token, contentType: req.headers['content-type'], body, status: 0 };
    this.requests.push(record);
    const answer = (code: number, payload: unknown, headers: Record<string, string> = {}): void => {
      record.status = code;
      const reason = (payload as Partial<StatusBody> | undefined)?.reason;
      if (typeof reason === 'string') record.reason = reason;
      send(res, code, payload, headers);
    };

    const fault = this.#faults.find((f) => (f.method ?? method) === method && (f.path ?? /./).test(path) && (f.times ?? 0) > 0);
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.status !== undefined) {
        record.status = fault.status;
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? JSON.stringify(status.internalError('injected fault')));
        return;
      }
    }
    await this.#waitAtBarrier(method, path);
    if (token === undefined || !this.#tokens.has(token)) return answer(401, status.unauthorized());
    this.beforeHandle?.(method, path);

    const reply = this.#route(method, path, body, req.headers['content-type'] ?? '');
    answer(reply.code, reply.body);
  }

  async #waitAtBarrier(method: string, path: string): Promise<void> {
    const barrier = this.#barrier;
    if (barrier === undefined || barrier.method !== method || !barrier.path.test(path)) return;
    await new Promise<void>((resolve) => {
      barrier.waiting.push(resolve);
      if (barrier.waiting.length >= barrier.count) {
        this.#barrier = undefined;
        for (const release of barrier.waiting) release();
      }
    });
  }

  #route(method: string, path: string, body: unknown, contentType: string): Reply {
    const secrets = SECRETS.exec(path);
    const mwc = MWC.exec(path);
    const target: StatusTarget | undefined =
      secrets !== null
        ? { group: '', resource: 'secrets', ...(secrets[2] === undefined ? {} : { name: decodeURIComponent(secrets[2]) }) }
        : mwc !== null
          ? { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', name: decodeURIComponent(mwc[1] ?? '') }
          : undefined;
    if (target === undefined) return new Reply(404, status.notFound({ group: '', resource: 'path', name: path }));
    const verb = VERBS[method] ?? method.toLowerCase();
    const namespace = secrets?.[1] === undefined ? undefined : decodeURIComponent(secrets[1]);
    if (this.#denied.has(`${verb} ${target.resource}`)) {
      const named = verb === 'create' ? { ...target, name: secretName(body) ?? '' } : target;
      return new Reply(403, status.forbidden(named, verb, SERVICE_ACCOUNT_USER, namespace));
    }
    if (secrets !== null && namespace !== undefined) return this.#secretRoute(method, namespace, target, body, contentType);
    if (mwc !== null) return this.#mwcRoute(method, target, body, contentType);
    return new Reply(405, status.invalid(target, 'method not allowed'));
  }

  #secretRoute(method: string, namespace: string, target: StatusTarget, body: unknown, contentType: string): Reply {
    const key = (name: string): string => `${namespace}/${name}`;
    if (method === 'GET' && target.name !== undefined) {
      const stored = this.#secrets.get(key(target.name));
      return stored === undefined ? new Reply(404, status.notFound(target)) : new Reply(200, stored);
    }
    if ((method !== 'POST' || target.name !== undefined) && (method !== 'PUT' || target.name === undefined)) {
      return new Reply(405, status.invalid(target, `${method} not supported here`));
    }
    if (!contentType.startsWith('application/json')) return new Reply(415, status.invalid(target, 'unsupported media type'));
    const name = secretName(body);
    if (!isObject(body) || name === undefined) return new Reply(400, status.invalid(target, 'metadata.name: Required value'));
    const named = { ...target, name };
    const metadata = body['metadata'] as JsonObject;
    if (metadata['namespace'] !== undefined && metadata['namespace'] !== namespace) {
      return new Reply(400, status.invalid(named, 'the namespace of the provided object does not match the namespace sent on the request'));
    }
    const problem = validateSecret(body);
    if (problem !== undefined) return new Reply(422, status.invalid(named, `Secret "${name}" is invalid: ${problem}`));
    const current = this.#secrets.get(key(name));
    if (method === 'POST') {
      if (current !== undefined) return new Reply(409, status.alreadyExists(named));
      const created = this.putSecret(namespace, { ...body, metadata: { ...metadata, creationTimestamp: new Date().toISOString() } });
      return new Reply(201, created);
    }
    if (name !== target.name) return new Reply(400, status.invalid(named, 'the name of the object does not match the name on the URL'));
    if (current === undefined) return new Reply(404, status.notFound(named));
    const currentMeta = current['metadata'] as JsonObject;
    if (metadata['resourceVersion'] !== undefined && metadata['resourceVersion'] !== currentMeta['resourceVersion']) {
      return new Reply(409, status.conflict(named));
    }
    if ((body['type'] ?? 'Opaque') !== (current['type'] ?? 'Opaque')) {
      return new Reply(422, status.invalid(named, `Secret "${name}" is invalid: type: Invalid value: field is immutable`));
    }
    const updated = { ...body, metadata: { ...metadata, creationTimestamp: currentMeta['creationTimestamp'] } };
    return new Reply(200, this.putSecret(namespace, updated, String(currentMeta['uid'])));
  }

  #mwcRoute(method: string, target: StatusTarget, body: unknown, contentType: string): Reply {
    const name = target.name ?? '';
    const current = this.#mwcs.get(name);
    if (method !== 'GET' && method !== 'PATCH') return new Reply(405, status.invalid(target, `${method} not supported here`));
    if (current === undefined) return new Reply(404, status.notFound(target));
    if (method === 'GET') return new Reply(200, current);
    if (contentType !== 'application/json-patch+json') {
      return new Reply(415, status.invalid(target, `the stand-in accepts only application/json-patch+json, got ${contentType}`));
    }
    let patched: unknown;
    try {
      patched = applyPatch(current, body);
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      return new Reply(422, status.invalid(target, error.message));
    }
    if (!isObject(patched) || !isObject(patched['metadata']) || patched['metadata']['name'] !== name) {
      return new Reply(422, status.invalid(target, 'metadata.name: the patch changed the name'));
    }
    if (patched['metadata']['resourceVersion'] !== (current['metadata'] as JsonObject)['resourceVersion']) {
      return new Reply(409, status.conflict(target));
    }
    return new Reply(200, this.putMutatingWebhookConfiguration(patched));
  }
}

function validateSecret(body: JsonObject): string | undefined {
  const data = body['data'] ?? {};
  if (!isObject(data)) return 'data: Invalid value';
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return `data[${key}]: Invalid value: not base64`;
  }
  if (body['type'] === 'kubernetes.io/tls') {
    for (const key of ['tls.crt', 'tls.key']) if (!(key in data)) return `data[${key}]: Required value`;
  }
  return undefined;
}

function secretName(body: unknown): string | undefined {
  if (!isObject(body) || !isObject(body['metadata'])) return undefined;
  const name = body['metadata']['name'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > 3 * 1024 * 1024) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, code: number, payload: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
}
