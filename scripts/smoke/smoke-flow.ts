/**
 * The checks of the no-cluster smoke run (scripts/smoke.sh), shared with the
 * end-to-end test that runs them in `scripts/test.sh`. Each check names what
 * a user would see: `kubectl create deployment`, a Pod from its ReplicaSet,
 * the excluded namespaces, the opt-out label, a dry run, and the webhook
 * going away (failurePolicy Ignore).
 */
import type { AdmitResult } from '../../test/apiserver/index.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../../test/helpers/skopeo.js';
import type { SmokeWorld } from './smoke-world.js';

export interface Check {
  readonly ok: boolean;
  readonly what: string;
}

const APPS_DEPLOYMENTS = {
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
} as const;

/** What `kubectl create deployment alpine --image=IMAGE -n NS` sends. */
function deployment(namespace: string, image: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'alpine', namespace, labels: { app: 'alpine', ...labels } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'alpine' } },
      template: {
        metadata: { labels: { app: 'alpine' } },
        spec: { containers: [{ name: 'alpine', image, imagePullPolicy: 'IfNotPresent' }] },
      },
    },
  };
}

/** The Pod a ReplicaSet creates: generateName, no name. */
function replicaSetPod(namespace: string, image: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'alpine-5d8f9c7b6-', namespace, labels: { app: 'alpine' } },
    spec: { containers: [{ name: 'alpine', image }] },
  };
}

function imageOf(result: AdmitResult, path: 'deployment' | 'pod'): string | undefined {
  if (!result.allowed) return undefined;
  const text = JSON.stringify(result.object);
  const match = /"containers":\[\{[^\]]*?"image":"([^"]+)"/.exec(text);
  void path;
  return match?.[1];
}

export async function runSmokeChecks(world: SmokeWorld, log: (line: string) => void): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (ok: boolean, what: string): void => {
    checks.push({ ok, what });
    log(`${ok ? 'ok  ' : 'FAIL'}  ${what}`);
  };
  const { api, sourceImage, sourceDigest } = world;
  const expected = `${world.backupName}/${world.source.host.replace(':', '_')}/library/alpine:3.12@${sourceDigest}`;

  log(`$ kubectl create deployment alpine --image=${sourceImage} -n smoke`);
  const created = await api.admit({ operation: 'CREATE', ...APPS_DEPLOYMENTS, namespace: 'smoke', object: deployment('smoke', sourceImage) });
  const after = imageOf(created, 'deployment');
  log(`  before: ${sourceImage}`);
  log(`  after:  ${after ?? '(rejected)'}`);
  for (const warning of created.warnings) log(`  warning: ${warning}`);
  check(created.allowed && after === expected, 'the Deployment is rewritten to the backup copy, pinned to the source digest');
  const calls = created.calls.map((c) => c.outcome).join(',');
  check(created.calls.length === 1, `the API server stand-in called the webhook once (${calls})`);

  // skopeo takes a tag or a digest, not both.
  const raw = await skopeoInspectRaw(expected.replace(':3.12@', '@'), skopeoEndpointFor(world.backup));
  check(raw.digest === sourceDigest, `skopeo: the backup holds ${sourceDigest}`);

  const pod = await api.admit({
    operation: 'CREATE',
    resource: { group: '', version: 'v1', resource: 'pods' },
    kind: { group: '', version: 'v1', kind: 'Pod' },
    namespace: 'smoke',
    object: replicaSetPod('smoke', sourceImage),
  });
  check(imageOf(pod, 'pod') === expected, 'its ReplicaSet\'s Pod (generateName) is rewritten too, from the cache');

  for (const namespace of ['image-cloner', 'kube-system', 'opted-out']) {
    const r = await api.admit({ operation: 'CREATE', ...APPS_DEPLOYMENTS, namespace, object: deployment(namespace, sourceImage) });
    check(r.allowed && r.calls.length === 0 && imageOf(r, 'deployment') === sourceImage, `namespace ${namespace}: the webhook is not called`);
  }
  const optedOut = await api.admit({
    operation: 'CREATE',
    ...APPS_DEPLOYMENTS,
    namespace: 'smoke',
    object: deployment('smoke', sourceImage, { 'image-cloner.io/ignore': 'true' }),
  });
  check(optedOut.calls.length === 0 && imageOf(optedOut, 'deployment') === sourceImage, 'label image-cloner.io/ignore=true: not called');

  const inBackup = await api.admit({ operation: 'CREATE', ...APPS_DEPLOYMENTS, namespace: 'smoke', object: deployment('smoke', expected) });
  check(imageOf(inBackup, 'deployment') === expected, 'an image already in the backup is left as it is');

  const dry = await api.admit({ operation: 'CREATE', ...APPS_DEPLOYMENTS, namespace: 'smoke', object: deployment('smoke', sourceImage), dryRun: true });
  check(imageOf(dry, 'deployment') === expected, 'a server-side dry run shows the rewrite (sideEffects NoneOnDryRun)');

  await world.stopWebhook();
  const down = await api.admit({ operation: 'CREATE', ...APPS_DEPLOYMENTS, namespace: 'smoke', object: deployment('smoke', sourceImage) });
  const outcome = down.calls[0]?.outcome ?? 'none';
  check(down.allowed && imageOf(down, 'deployment') === sourceImage, `webhook down: admitted unchanged (failurePolicy Ignore; call ${outcome})`);
  return checks;
}
