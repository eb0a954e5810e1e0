/**
 * PULL_SECRETS_LOOKUP end to end at the handler: a private source registry
 * (real docker-registry, HTTPS + htpasswd) whose credentials exist ONLY in a
 * `kubernetes.io/dockerconfigjson` Secret that the workload's ServiceAccount
 * lists, served by the Kubernetes API stand-in; the real PullSecretStore,
 * MirrorService and admission handler; an anonymous backup registry behind
 * a recording proxy. Checks: rewritten with the lookup, left unchanged (with
 * a warning) without it, a missing Secret skipped, the second admission
 * reads no Secret, and a Secret for registry X never reaches registry Y or
 * the backup.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import { PullSecretStore } from '../../src/kube/pull-secret-store.js';
import { MirrorService } from '../../src/mirror/mirror-service.js';
import type { PullCredentialSource } from '../../src/mirror/pull-credentials.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { createAdmissionHandler } from '../../src/server/admission-handler.js';
import { createLogger } from '../../src/server/logger.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import type { ReadResponse } from '../helpers/admission-response.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { makeSimpleImage, pushImage } from '../helpers/images.js';
import { startKubeHarness } from '../helpers/kube-harness.js';
import type { KubeHarness } from '../helpers/kube-harness.js';
import { dockerConfigJsonSecret, secretReads, serveServiceAccount } from '../helpers/pull-secrets.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';

const NS = 'team-a';

interface World {
  readonly kube: KubeHarness;
  /** Private source X, reached directly over HTTPS. */
  readonly x: TestRegistry;
  /** Private source Y (other credentials), behind a recording proxy. */
  readonly y: TestRegistry;
  readonly yProxy: FaultProxy;
  /** Anonymous backup, behind a recording proxy. */
  readonly backup: TestRegistry;
  readonly backupProxy: FaultProxy;
  readonly pool: RegistryPool;
  readonly lines: string[];
}

let w: World;

const test = suite('admission with PULL_SECRETS_LOOKUP');
test.before(async () => {
  const [kube, x, y, backup] = await Promise.all([
    startKubeHarness(),
    startRegistry({ auth: 'htpasswd' }),
    startRegistry({ auth: 'htpasswd' }),
    startRegistry({ auth: 'none' }),
  ]);
  const yProxy = await startFaultProxy({ upstream: y });
  const backupProxy = await startFaultProxy({ upstream: backup });
  const pool = new RegistryPool({
    caPems: [x.caPem ?? ''],
    insecureHosts: [yProxy.host, backupProxy.host],
  });
  w = { kube, x, y, yProxy, backup, backupProxy, pool, lines: [] };
  // The only place X's credentials exist: a Secret the namespace's default ServiceAccount lists.
  kube.api.putSecret(NS, dockerConfigJsonSecret('regcred', { [x.host]: x }));
  serveServiceAccount(kube.api, NS, 'default', ['regcred']);
  for (const [registry, repo, tag] of [
    [x, 'team/app', 'v1'],
    [x, 'team/app', 'v2'],
    [x, 'team/app', 'v3'],
    [y, 'team/other', 'v1'],
  ] as const) {
    await pushImage(registry, repo, tag, await makeSimpleImage('oci', { seed: `${repo}:${tag}` }));
  }
});
test.after(async () => {
  await w.pool.close();
  await Promise.allSettled([w.yProxy.stop(), w.backupProxy.stop()]);
  await Promise.allSettled([w.kube.close(), w.x.stop(), w.y.stop(), w.backup.stop()]);
});

/** Errors of failed copies, as the mirror reports them. */
const copyErrors: string[] = [];

function mirror(): MirrorService {
  const observer = { onCopyFinished: (event: { readonly error?: string }) => void (event.error === undefined || copyErrors.push(event.error)) };
  return new MirrorService({ pool: w.pool, backupRegistry: w.backupProxy.host, observer });
}

function handler(m: MirrorService, pullCredentials: PullCredentialSource | undefined) {
  return createAdmissionHandler({
    policy: parseMutationPolicy({ registry: w.backupProxy.host }),
    mirror: m,
    copyBudgetMs: 20_000,
    logger: createLogger({ level: 'debug', write: (line) => w.lines.push(line) }),
    pullCredentials,
  });
}

function store(): PullSecretStore {
  return new PullSecretStore({ kube: w.kube.client(), ttlMs: 60_000, logger: createLogger({ level: 'debug', write: (l) => w.lines.push(l) }) });
}

function deployment(images: readonly string[], imagePullSecrets: readonly string[] = []): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: NS },
    spec: {
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: {
          ...(imagePullSecrets.length === 0 ? {} : { imagePullSecrets: imagePullSecrets.map((name) => ({ name })) }),
          containers: images.map((image, i) => ({ name: `c${i}`, image })),
        },
      },
    },
  };
}

async function admit(h: ReturnType<typeof handler>, object: unknown): Promise<ReadResponse> {
  const answer = await h(Buffer.from(JSON.stringify(buildAdmissionReview(object).review)), null);
  assert.is(answer.status, 200, answer.body);
  return readAdmissionResponse(answer.body);
}

/** The image values the patch writes, by JSON Pointer. */
function patchedImages(response: ReadResponse): Map<string, string> {
  const images = new Map<string, string>();
  for (const op of response.patch ?? []) {
    const { path, value } = op as { path: string; value: unknown };
    if (path.endsWith('/image') && typeof value === 'string') images.set(path, value);
  }
  return images;
}

const C0 = '/spec/template/spec/containers/0/image';
const C1 = '/spec/template/spec/containers/1/image';

test('without the lookup the private image fails (unauthorized) and the original is kept; with it, the same mirror copies it', async () => {
  const m = mirror();
  const image = w.x.ref('team/app', 'v1');
  const without = await admit(handler(m, undefined), deployment([image]));
  assert.ok(without.allowed);
  assert.is(patchedImages(without).size, 0, 'image left unchanged');
  assert.ok(without.warnings.some((warning) => warning.includes('failed, original kept')), without.warnings.join('\n'));
  assert.is(copyErrors.length, 1);
  assert.match(copyErrors[0] ?? '', /requires credentials and none are configured/);

  // The failure above was remembered for "no credentials" only: it does not hold this admission back.
  const withLookup = await admit(handler(m, store()), deployment([image], ['missing']));
  const rewritten = patchedImages(withLookup).get(C0);
  assert.ok(rewritten?.startsWith(`${w.backupProxy.host}/`), JSON.stringify(withLookup));
  assert.ok(w.backupProxy.requestsTo('PUT', /\/manifests\/v1$/).length >= 1, 'the backup received the copy');
  assert.ok(w.lines.some((line) => line.includes('"pull credentials skipped"') && line.includes('"missing"')), 'missing Secret skipped');
});

test('a second admission in the namespace reads no Secret and no ServiceAccount', async () => {
  const h = handler(mirror(), store());
  assert.ok(patchedImages(await admit(h, deployment([w.x.ref('team/app', 'v2')]))).get(C0) !== undefined);
  const secrets = secretReads(w.kube.api);
  const accounts = w.kube.api.count('GET', /serviceaccounts/);
  const second = await admit(h, deployment([w.x.ref('team/app', 'v3')]));
  assert.ok(patchedImages(second).get(C0)?.startsWith(`${w.backupProxy.host}/`), JSON.stringify(second));
  assert.is(secretReads(w.kube.api), secrets);
  assert.is(w.kube.api.count('GET', /serviceaccounts/), accounts);
});

test("registry X's Secret is never sent to registry Y, nor to the backup", async () => {
  w.yProxy.clearRequests();
  w.backupProxy.clearRequests();
  const response = await admit(handler(mirror(), store()), deployment([w.x.ref('team/app', 'v1'), w.yProxy.ref('team/other', 'v1')]));
  const images = patchedImages(response);
  assert.ok(images.get(C0)?.startsWith(`${w.backupProxy.host}/`), 'X copied (or found) with its Secret');
  assert.is(images.get(C1), undefined, 'Y has no credentials: original kept');
  assert.ok(w.yProxy.requests.length > 0, 'Y was asked');
  assert.ok(w.yProxy.requests.every((r) => !r.hadAuthorization), 'Y never saw an Authorization header');
  assert.ok(w.backupProxy.requests.length > 0, 'the backup was asked');
  assert.ok(w.backupProxy.requests.every((r) => !r.hadAuthorization), 'the backup never saw the workload credentials');
  assert.not.ok(w.lines.join('\n').includes(w.x.password ?? '(none)'), 'no password in the logs');
});

test.run();
