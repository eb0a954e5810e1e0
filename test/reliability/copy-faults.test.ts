/**
 * The copy engine against every fault of issue 5, on either end: a fault
 * proxy in front of the real source registry and another in front of the
 * real backup registry (htpasswd), and the backup registry itself stopped
 * mid-copy. Each case asserts:
 *  - the outcome: the copy retried and succeeded, or failed with a typed
 *    error (code, temporariness);
 *  - the backup's invariant, walked through its catalog (check-backup.ts):
 *    no tag points at missing or corrupt content, and a failed copy left no
 *    tag; a blob that failed verification was never committed;
 *  - no upload session left open in the backup's storage (`_uploads`): an
 *    abandoned upload is cancelled (spec "Canceling an Upload");
 *  - a deadline: nothing hangs.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackoffPolicy } from '../../src/core/backoff.js';
import { parseDockerConfig } from '../../src/core/docker-config.js';
import { ClonerError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { copyImage } from '../../src/mirror/copy-image.js';
import type { TransportOptions } from '../../src/registry/http-transport.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { RepositoryEndpoint } from '../../src/registry/repository-endpoint.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy, FaultRule } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { blobExists, fetchManifest, makeImage, makeLayer, pushImage } from '../helpers/images.js';
import type { TestImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';
import { assertBackupConsistent, openUploads } from './check-backup.js';

const FAST: BackoffPolicy = { baseMs: 20, maxMs: 100, maxAttempts: 4 };
/**
 * For answers that never come: each attempt costs a whole header timeout.
 * The transport retries a timeout and the engine does not retry it again
 * (it would multiply the wait, 4 x 4 with FAST); two attempts keep a hang
 * case to two timeouts.
 */
const HANG: BackoffPolicy = { baseMs: 10, maxMs: 20, maxAttempts: 2 };
const LAYER_BYTES = 300_000;

interface Env {
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
  readonly sourceProxy: FaultProxy;
  readonly backupProxy: FaultProxy;
  readonly image: TestImage;
  readonly layer: string;
}

const world = lazyFixture<Env>(
  async () => {
    const [source, backup] = await Promise.all([startRegistry({ tls: false }), startRegistry({ tls: false, auth: 'htpasswd' })]);
    const stops: Array<() => Promise<void>> = [() => source.stop(), () => backup.stop()];
    try {
      const sourceProxy = await startFaultProxy({ upstream: source });
      stops.push(() => sourceProxy.stop());
      const backupProxy = await startFaultProxy({ upstream: backup });
      stops.push(() => backupProxy.stop());
      // Uncompressed and incompressible: its size is exact and a cut lands mid-body.
      const layer = await makeLayer({ sizeBytes: LAYER_BYTES, incompressible: true, seed: 'copy-faults', gzip: false });
      const image = makeImage({ format: 'oci', layers: [layer] });
      await pushImage(source, 'src/app', 'v1', image);
      return { source, backup, sourceProxy, backupProxy, image, layer: layer.digest };
    } catch (error) {
      for (const stop of stops.reverse()) await stop();
      throw error;
    }
  },
  async (env) => {
    await env.sourceProxy.stop();
    await env.backupProxy.stop();
    await Promise.all([env.source.stop(), env.backup.stop()]);
  },
);

function poolFor(env: Env, extra: TransportOptions): RegistryPool {
  const auth = Buffer.from(`${env.backup.username ?? ''}:${env.backup.password ?? ''}`).toString('base64');
  return new RegistryPool({
    auth: parseDockerConfig(JSON.stringify({ auths: { [env.backup.host]: { auth }, [env.backupProxy.host]: { auth } } })),
    insecureHosts: [env.source.host, env.backup.host, env.sourceProxy.host, env.backupProxy.host],
    backoff: FAST,
    ...extra,
  });
}

function endpoint(pool: RegistryPool, reference: string): RepositoryEndpoint {
  const ref = withDefaultTag(parseImageRef(reference));
  return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
}

/** Rejects when `run` takes longer than `ms`: a hang is a failure, not a stuck suite. */
async function withinDeadline<T>(ms: number, what: string, run: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Expectation =
  | { readonly ok: true }
  | { readonly codes: readonly ErrorCode[]; readonly temporary: boolean };

interface FaultCase {
  readonly name: string;
  /** Rules for the source proxy and the backup proxy. */
  readonly source?: (env: Env) => FaultRule[];
  readonly backup?: (env: Env) => FaultRule[];
  readonly transport?: TransportOptions;
  /** Retry policy of both the transport and the engine (FAST unless given). */
  readonly backoff?: BackoffPolicy;
  /** The copy must not end sooner (a wait that must have happened). */
  readonly minMs?: number;
  readonly expect: Expectation;
  readonly deadlineMs: number;
  /** Runs alongside the copy (e.g. stopping the backup registry). */
  readonly during?: (env: Env) => Promise<void>;
  /** Write to the backup registry directly, not through its proxy (a stopped registry must refuse connections). */
  readonly direct?: boolean;
  /** After the copy (e.g. bring the registry back). */
  readonly after?: (env: Env) => Promise<void>;
  /** Upload sessions the registry could not be asked to cancel (it was down). */
  readonly uploadsMayRemain?: boolean;
  /** The blob's bytes failed verification: it must not be in the backup. */
  readonly neverPushed?: boolean;
  /** Requests the source may see for this path: retries must not multiply (transport x engine). */
  readonly sourceRequestsAtMost?: { readonly method: string; readonly path: (env: Env) => RegExp; readonly max: number };
}

const layerGet = (env: Env): FaultRule['path'] => new RegExp(`^/v2/src/app/blobs/${env.layer}$`);
const sourceManifest = /^\/v2\/src\/app\/manifests\/v1$/;
const uploadPost = /^\/v2\/dst\/[^/]+\/blobs\/uploads\/$/;
const uploadPut = /^\/v2\/dst\/[^/]+\/blobs\/uploads\/[^/]+$/;
const blobHead = /^\/v2\/dst\/[^/]+\/blobs\/sha256:/;
const manifestPut = /^\/v2\/dst\/[^/]+\/manifests\/v1$/;
const OK: Expectation = { ok: true };

function refusal(status: number, code: string): FaultRule['action'] {
  return {
    kind: 'respond',
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ errors: [{ code, message: `refused by the test (${code})` }] }),
  };
}

const CASES: FaultCase[] = [
  // --- source faults
  { name: 'source drops the connection mid-blob once', source: (e) => [{ method: 'GET', path: layerGet(e), times: 1, action: { kind: 'drop', afterBytes: 100_000 } }], expect: OK, deadlineMs: 15_000 },
  { name: 'source truncates the blob once', source: (e) => [{ method: 'GET', path: layerGet(e), times: 1, action: { kind: 'truncate', bytes: 100_000 } }], expect: OK, deadlineMs: 15_000 },
  { name: 'source corrupts a byte in flight once', source: (e) => [{ method: 'GET', path: layerGet(e), times: 1, action: { kind: 'flip-byte', offset: 200_000 } }], expect: OK, deadlineMs: 15_000 },
  {
    name: 'source corrupts a byte on every read: digest mismatch, never pushed',
    source: (e) => [{ method: 'GET', path: layerGet(e), action: { kind: 'flip-byte', offset: 200_000 } }],
    expect: { codes: ['IC_ERR_DIGEST_MISMATCH'], temporary: true },
    neverPushed: true,
    deadlineMs: 15_000,
  },
  {
    name: 'source drops every read of the blob mid-body',
    source: (e) => [{ method: 'GET', path: layerGet(e), action: { kind: 'drop', afterBytes: 100_000 } }],
    expect: { codes: ['IC_ERR_UNREACHABLE', 'IC_ERR_REGISTRY', 'IC_ERR_SIZE_MISMATCH'], temporary: true },
    neverPushed: true,
    deadlineMs: 15_000,
  },
  ...[500, 502, 503].map((status): FaultCase => ({
    name: `source answers ${status} twice on the blob`,
    source: (e) => [{ method: 'GET', path: layerGet(e), times: 2, action: { kind: 'status', status } }],
    expect: OK,
    deadlineMs: 15_000,
  })),
  {
    name: 'source answers 503 to every manifest read',
    source: () => [{ path: sourceManifest, action: { kind: 'status', status: 503 } }],
    expect: { codes: ['IC_ERR_REGISTRY'], temporary: true },
    deadlineMs: 15_000,
  },
  {
    name: 'source answers 429 with Retry-After: 1 once',
    source: () => [{ path: sourceManifest, times: 1, action: { kind: 'status', status: 429, retryAfter: '1' } }],
    expect: OK,
    minMs: 950,
    deadlineMs: 15_000,
  },
  { name: 'source answers the blob 1.5 s late', source: (e) => [{ method: 'GET', path: layerGet(e), times: 1, action: { kind: 'delay', ms: 1_500 } }], expect: OK, minMs: 1_450, deadlineMs: 15_000 },
  // 300 kB at 400 kB/s: three quarters of a second at least.
  { name: 'source sends the blob at 400 kB/s', source: (e) => [{ method: 'GET', path: layerGet(e), action: { kind: 'throttle', bytesPerSecond: 400_000 } }], expect: OK, minMs: 600, deadlineMs: 15_000 },
  {
    name: 'source accepts the blob request and never answers',
    source: (e) => [{ method: 'GET', path: layerGet(e), action: { kind: 'hang' } }],
    transport: { headersTimeoutMs: 300 },
    backoff: HANG,
    expect: { codes: ['IC_ERR_TIMEOUT'], temporary: true },
    deadlineMs: 10_000,
    // The transport's attempts only: the engine does not retry a timeout the transport already retried.
    sourceRequestsAtMost: { method: 'GET', path: layerGet, max: HANG.maxAttempts },
  },
  {
    name: 'source accepts the manifest request and never answers',
    source: () => [{ path: sourceManifest, action: { kind: 'hang' } }],
    transport: { headersTimeoutMs: 300 },
    backoff: HANG,
    expect: { codes: ['IC_ERR_TIMEOUT'], temporary: true },
    deadlineMs: 10_000,
  },
  // --- backup faults
  { name: 'backup answers 503 twice to opening an upload', backup: () => [{ method: 'POST', path: uploadPost, times: 2, action: { kind: 'status', status: 503 } }], expect: OK, deadlineMs: 15_000 },
  { name: 'backup answers 503 twice to the upload PUT (sessions cancelled)', backup: () => [{ method: 'PUT', path: uploadPut, times: 2, action: { kind: 'status', status: 503 } }], expect: OK, deadlineMs: 15_000 },
  {
    name: 'backup answers 500 to every upload PUT: failed, every session cancelled',
    backup: () => [{ method: 'PUT', path: uploadPut, action: { kind: 'status', status: 500 } }],
    expect: { codes: ['IC_ERR_REGISTRY'], temporary: true },
    deadlineMs: 15_000,
  },
  { name: 'backup drops the connection after committing a blob', backup: () => [{ method: 'PUT', path: uploadPut, times: 1, action: { kind: 'drop', afterBytes: 0 } }], expect: OK, deadlineMs: 15_000 },
  { name: 'backup answers 500 once to the manifest PUT', backup: () => [{ method: 'PUT', path: manifestPut, times: 1, action: { kind: 'status', status: 500 } }], expect: OK, deadlineMs: 15_000 },
  { name: 'backup answers 429 with Retry-After: 1 once to the manifest PUT', backup: () => [{ method: 'PUT', path: manifestPut, times: 1, action: { kind: 'status', status: 429, retryAfter: '1' } }], expect: OK, deadlineMs: 15_000 },
  {
    name: 'backup never answers the blob checks',
    backup: () => [{ method: 'HEAD', path: blobHead, action: { kind: 'hang' } }, { method: 'GET', path: /^\/v2\/dst\/[^/]+\/tags\/list$/, action: { kind: 'hang' } }],
    transport: { headersTimeoutMs: 300 },
    backoff: HANG,
    expect: { codes: ['IC_ERR_TIMEOUT'], temporary: true },
    deadlineMs: 10_000,
  },
  {
    // One engine attempt, so the case measures one cancel: it gives up after its own 10 s bound.
    name: 'backup fails the upload PUT and never answers the cancel: the cancel gives up, bounded',
    backup: () => [
      { method: 'PUT', path: uploadPut, action: { kind: 'status', status: 500 } },
      { method: 'DELETE', path: uploadPut, action: { kind: 'hang' } },
    ],
    backoff: { baseMs: 10, maxMs: 20, maxAttempts: 1 },
    expect: { codes: ['IC_ERR_REGISTRY'], temporary: true },
    minMs: 9_500,
    uploadsMayRemain: true,
    deadlineMs: 15_000,
  },
  {
    name: 'backup refuses the manifest: 400 MANIFEST_INVALID, no tag',
    backup: () => [{ method: 'PUT', path: manifestPut, action: refusal(400, 'MANIFEST_INVALID') }],
    expect: { codes: ['IC_ERR_REGISTRY'], temporary: false },
    deadlineMs: 15_000,
  },
  {
    name: 'backup refuses the manifest: 403 DENIED, no tag',
    backup: () => [{ method: 'PUT', path: manifestPut, action: refusal(403, 'DENIED') }],
    expect: { codes: ['IC_ERR_DENIED'], temporary: false },
    deadlineMs: 15_000,
  },
  {
    name: 'backup registry goes away mid-upload, then comes back',
    // 300 kB at 200 kB/s: the upload is open for 1.5 s, and the registry stops half a second in.
    source: (e) => [{ method: 'GET', path: layerGet(e), action: { kind: 'throttle', bytesPerSecond: 200_000 } }],
    direct: true,
    during: async (env) => {
      await waitForRequest(env.sourceProxy, 'GET', layerGet(env), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await env.backup.halt({ kill: true });
    },
    after: (env) => env.backup.resume(),
    expect: { codes: ['IC_ERR_UNREACHABLE'], temporary: true },
    // The registry died holding the session; it could not be asked to cancel it.
    uploadsMayRemain: true,
    deadlineMs: 20_000,
  },
];

async function waitForRequest(proxy: FaultProxy, method: string, path: RegExp, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (proxy.requestsTo(method, path).length === 0) {
    if (Date.now() > until) throw new Error(`no ${method} ${String(path)} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function tags(registry: TestRegistry, repo: string): Promise<string[]> {
  try {
    await fetchManifest(registry, repo, 'v1');
    return ['v1'];
  } catch {
    return [];
  }
}

const test = suite('copy under faults: retried or a clear error; the backup stays consistent');
test.after(() => world.dispose());

const tally = { tried: 0, survived: 0 };

CASES.forEach((c, i) => {
  test(c.name, async () => {
    const env = await world.get();
    env.sourceProxy.clearRequests();
    env.backupProxy.clearRequests();
    const handles = [
      ...(c.source?.(env) ?? []).map((rule) => env.sourceProxy.addRule(rule)),
      ...(c.backup?.(env) ?? []).map((rule) => env.backupProxy.addRule(rule)),
    ];
    const repo = `dst/case-${i}`;
    const backoff = c.backoff ?? FAST;
    const pool = poolFor(env, { ...c.transport, backoff });
    const started = Date.now();
    const destinationHost = c.direct === true ? env.backup.host : env.backupProxy.host;
    tally.tried++;
    let outcome: unknown;
    try {
      const copy = copyImage(endpoint(pool, `${env.sourceProxy.host}/src/app:v1`), endpoint(pool, `${destinationHost}/${repo}:v1`), {
        destinationTag: 'v1',
        backoff,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      await withinDeadline(c.deadlineMs, c.name, Promise.all([copy, c.during?.(env)]));
      outcome = await copy;
    } finally {
      for (const handle of handles) handle.remove();
      await pool.close();
      await c.after?.(env);
    }
    const elapsed = Date.now() - started;

    if ('ok' in c.expect) {
      if (outcome !== undefined) throw outcome;
      assert.equal(await tags(env.backup, repo), ['v1']);
      assert.is((await fetchManifest(env.backup, repo, 'v1')).digest, env.image.manifest.digest);
    } else {
      if (!(outcome instanceof ClonerError)) throw new Error(`expected a ClonerError, got ${String(outcome)}`);
      assert.ok(c.expect.codes.includes(outcome.code), `${outcome.code}: ${outcome.message}`);
      assert.is(outcome.temporary, c.expect.temporary, outcome.message);
      assert.ok(outcome.message.includes(env.sourceProxy.host), `the message names the image: ${outcome.message}`);
      assert.equal(await tags(env.backup, repo), [], 'no tag after a failed copy');
    }
    if (c.sourceRequestsAtMost !== undefined) {
      const { method, path, max } = c.sourceRequestsAtMost;
      const seen = env.sourceProxy.requestsTo(method, path(env)).length;
      assert.ok(seen >= 1 && seen <= max, `${seen} ${method} requests, at most ${max}`);
    }
    if (c.neverPushed === true) assert.is(await blobExists(env.backup, repo, env.layer), false, 'the unverified blob was not committed');
    if (c.minMs !== undefined) assert.ok(elapsed >= c.minMs, `ended after ${elapsed} ms, sooner than ${c.minMs}`);
    const report = await assertBackupConsistent(env.backup);
    assert.ok(report.tags >= 0);
    const uploads = await openUploads(env.backup);
    if (c.uploadsMayRemain !== true) {
      // Every session still open is one the engine asked to cancel. Registry 2.8.2 refuses a cancel
      // once a failed PUT wrote part of the body: its `_state` token then names the wrong offset
      // ("upload resumed at wrong offset", BLOB_UPLOAD_INVALID), and only the registry's own upload
      // purging frees such a session.
      const cancelled = new Set(env.backupProxy.requestsTo('DELETE', uploadPut).map((r) => r.path.split('/').pop()));
      const abandoned = uploads.filter((u) => u.startsWith(`${repo}/`) && !cancelled.has(u.split('/').pop()));
      assert.equal(abandoned, [], 'no upload session abandoned without a cancel');
    }
    tally.survived++;
    console.log(`  ${c.name}: ${'ok' in c.expect ? 'copied' : (outcome as ClonerError).code} in ${elapsed} ms${uploads.length > 0 ? `; uploads left: ${uploads.length}` : ''}`);
  });
});

test('after every fault: a clean copy of the same image into each repository succeeds and the backup is consistent', async () => {
  const env = await world.get();
  const pool = poolFor(env, {});
  try {
    for (let i = 0; i < CASES.length; i++) {
      await withinDeadline(15_000, `re-copy ${i}`, copyImage(endpoint(pool, `${env.sourceProxy.host}/src/app:v1`), endpoint(pool, `${env.backupProxy.host}/dst/case-${i}:v1`), { destinationTag: 'v1', backoff: FAST }));
    }
  } finally {
    await pool.close();
  }
  const report = await assertBackupConsistent(env.backup);
  assert.is(report.tags, CASES.length);
  console.log(`  fault cases tried ${tally.tried}, survived ${tally.survived}; backup: ${report.repositories} repositories, ${report.tags} tags, ${report.blobs} blobs checked`);
});

test.run();
