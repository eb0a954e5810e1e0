/**
 * PULL_SECRETS_LOOKUP through the real `serve` process, configured as the
 * private-sources component configures it: in-cluster API from
 * KUBERNETES_SERVICE_HOST/PORT and the service account files at their fixed
 * Pod path (mounted in the process's own namespace, see serve-webhook.ts
 * asPod), the Kubernetes API stand-in serving a `kubernetes.io/dockerconfigjson`
 * Secret that the namespace's default ServiceAccount lists, a private source
 * (real docker-registry, HTTPS + htpasswd) whose credentials exist only in
 * that Secret, and an anonymous backup. The workload in that namespace is
 * rewritten and the backup holds the copy; a workload in a namespace without
 * the Secret keeps its image with a warning; serve read the Secret with the
 * service account token.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, makeSimpleImage, pushImage } from '../helpers/images.js';
import { startKubeHarness, TOKEN, type KubeHarness } from '../helpers/kube-harness.js';
import { dockerConfigJsonSecret, secretReads, serveServiceAccount } from '../helpers/pull-secrets.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { startServeWebhook, type ServeWebhook } from '../helpers/serve-webhook.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';

const NS = 'team-a';
const OTHER_NS = 'team-b';

interface World {
  readonly kube: KubeHarness;
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
  readonly serve: ServeWebhook;
  readonly dir: string;
  readonly digests: Readonly<Record<'v1' | 'v2', string>>;
}

const world = lazyFixture<World>(
  async () => {
    const [kube, source, backup] = await Promise.all([
      startKubeHarness(),
      startRegistry({ auth: 'htpasswd' }),
      startRegistry({ auth: 'none' }),
    ]);
    const dir = makeTempDir('pull-secrets-serve');
    try {
      kube.api.putSecret(NS, dockerConfigJsonSecret('regcred', { [source.host]: source }));
      serveServiceAccount(kube.api, NS, 'default', ['regcred']);
      serveServiceAccount(kube.api, OTHER_NS, 'default', []);
      const v1 = await pushImage(source, 'team/app', 'v1', await makeSimpleImage('oci', { seed: 'pull-secrets-serve v1' }));
      const v2 = await pushImage(source, 'team/app', 'v2', await makeSimpleImage('oci', { seed: 'pull-secrets-serve v2' }));
      const account = join(dir, 'serviceaccount');
      mkdirSync(account);
      writeFileSync(join(account, 'token'), TOKEN);
      writeFileSync(join(account, 'ca.crt'), kube.pki.ca.certPem);
      writeFileSync(join(account, 'namespace'), 'image-cloner');
      const serve = await startServeWebhook(
        {
          BACKUP_REGISTRY: backup.host,
          INSECURE_REGISTRIES: backup.host,
          REGISTRY_CA_FILE: source.caFile ?? '',
          PULL_SECRETS_LOOKUP: 'true',
          KUBERNETES_SERVICE_HOST: kube.api.url.hostname,
          KUBERNETES_SERVICE_PORT: kube.api.url.port,
          COPY_BUDGET_SECONDS: '8',
        },
        'serve with pull secrets',
        { serviceAccountDir: account },
      );
      return { kube, source, backup, serve, dir, digests: { v1: v1.digest, v2: v2.digest } };
    } catch (error) {
      await Promise.allSettled([kube.close(), source.stop(), backup.stop(), removeTempDir(dir)]);
      throw error;
    }
  },
  async (w) => {
    await w.serve.stop();
    await Promise.allSettled([w.kube.close(), w.source.stop(), w.backup.stop(), removeTempDir(w.dir)]);
  },
);

const test = suite('PULL_SECRETS_LOOKUP through the real serve process');
test.after(() => world.dispose());

function pod(namespace: string, image: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', namespace },
    spec: { containers: [{ name: 'app', image }] },
  };
}

function patchedImage(patch: readonly unknown[] | undefined): string | undefined {
  for (const op of patch ?? []) {
    if (typeof op === 'object' && op !== null && 'path' in op && op.path === '/spec/containers/0/image' && 'value' in op) {
      return typeof op.value === 'string' ? op.value : undefined;
    }
  }
  return undefined;
}

test('a workload whose namespace holds the pull Secret is rewritten; the backup holds the copy', async () => {
  const w = await world.get();
  const { response } = await w.serve.admit(buildAdmissionReview(pod(NS, w.source.ref('team/app', 'v1'))));
  assert.is(response.allowed, true);
  assert.equal(response.warnings, []);
  assert.is(patchedImage(response.patch), `${w.backup.host}/${w.source.host.replace(':', '_')}/team/app:v1@${w.digests.v1}`);
  assert.is((await fetchManifest(w.backup, `${w.source.host.replace(':', '_')}/team/app`, 'v1')).digest, w.digests.v1);
  assert.ok(secretReads(w.kube.api) >= 1, 'serve read the Secret through the API');
  assert.ok(w.kube.api.requests.length > 0);
  for (const request of w.kube.api.requests) assert.is(request.token, TOKEN, 'with the service account token');
});

test('a workload in a namespace without it keeps its image, with a warning naming the registry', async () => {
  const w = await world.get();
  const { response } = await w.serve.admit(buildAdmissionReview(pod(OTHER_NS, w.source.ref('team/app', 'v2'))));
  assert.is(response.allowed, true);
  assert.is(patchedImage(response.patch), undefined);
  assert.is(response.warnings.length, 1, JSON.stringify(response.warnings));
  assert.match(response.warnings[0] ?? '', /team\/app:v2/);
});

test.run();
