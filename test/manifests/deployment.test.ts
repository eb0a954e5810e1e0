/**
 * The workload objects of every install (manifests/, each overlay, each
 * component): namespaces, the hardened Pod, probes on the HTTPS port,
 * availability (replicas, PDB, spread, rolling update), graceful stop
 * timings, the service-account token only where API calls need it, no
 * Secret shipped, and a configuration that `image-cloner serve` accepts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseServeConfig } from '../../src/server/config.js';
import type { ServeConfig } from '../../src/server/config.js';
import { INSTALLS } from './installs.js';
import { parseLabelSelector, selectorMatches } from './label-selector.js';
import {
  NAMESPACE,
  at,
  documentedVariables,
  list,
  named,
  ofKind,
  one,
  podLabels,
  podSpec,
  stringLabels,
  webhookConfig,
  webhookContainer,
} from './render.js';
import type { KubeObject } from './render.js';

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration']);
const NAMESPACED = new Set([
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'Service',
  'Deployment',
  'PodDisruptionBudget',
  'Certificate',
  'Issuer',
]);
/** Read by a component whose feature is still to come (components/private-sources). */
const ANNOUNCED_VARIABLES = new Set(['PULL_SECRETS_LOOKUP']);
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MI = 1024 * 1024;

/** The configuration the Pod starts with, as `image-cloner serve` parses it. */
function serveConfigOf(objects: readonly KubeObject[]): ServeConfig {
  const data = webhookConfig(objects);
  // The kubelet sets these in every container; with them and no certificate
  // files, serve manages its own certificate.
  const kubelet = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  return parseServeConfig({ ...kubelet, ...data });
}

function quantityBytes(value: unknown): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(String(value));
  assert.ok(match, `a binary-suffixed quantity: ${String(value)}`);
  const unit = { Ki: 1024, Mi: MI, Gi: 1024 * MI }[match[2] as 'Ki' | 'Mi' | 'Gi'];
  return Number(match[1]) * unit;
}

const test = suite('manifests: the Deployment and its neighbours, in every install');

test('kubectl kustomize renders every install', () => {
  for (const install of INSTALLS) assert.ok(install.objects().length > 5, install.name);
});

for (const install of INSTALLS) {
  const objects = install.objects;
  const deployment = (): KubeObject => one(objects(), 'Deployment', 'image-cloner');

  test(`${install.name}: every object is in the image-cloner namespace, or cluster-scoped`, () => {
    one(objects(), 'Namespace', NAMESPACE);
    for (const o of objects()) {
      const what = `${o.kind} ${o.metadata.name}`;
      if (CLUSTER_SCOPED.has(o.kind)) assert.is(o.metadata.namespace, undefined, what);
      else if (NAMESPACED.has(o.kind)) assert.is(o.metadata.namespace, NAMESPACE, what);
      else assert.unreachable(`unexpected kind: ${what}`);
    }
  });

  test(`${install.name}: no Secret is shipped (a re-apply would overwrite the user's)`, () => {
    assert.equal(ofKind(objects(), 'Secret'), []);
  });

  test(`${install.name}: security contexts, exactly`, () => {
    const spec = podSpec(deployment());
    assert.equal(spec['securityContext'], {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(webhookContainer(deployment())['securityContext'], {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'initContainers']) {
      assert.is(spec[key], undefined, key);
    }
    for (const volume of list(spec['volumes'], 'volumes')) {
      assert.is(at(volume, 'hostPath'), undefined, 'no hostPath volume');
    }
    for (const mount of list(webhookContainer(deployment())['volumeMounts'], 'volumeMounts')) {
      const writable = at(mount, 'readOnly') !== true;
      if (writable) assert.is(at(mount, 'mountPath'), '/tmp', 'the only writable mount is /tmp');
    }
  });

  test(`${install.name}: the container runs the image's entrypoint with "serve"`, () => {
    const container = webhookContainer(deployment());
    assert.is(container['command'], undefined);
    assert.equal(container['args'], ['serve']);
  });

  test(`${install.name}: probes on /healthz and /readyz over HTTPS, on the port the server listens on`, () => {
    const container = webhookContainer(deployment());
    const port = named(container['ports'], 'https', 'ports');
    assert.is(port['containerPort'], serveConfigOf(objects()).port);
    assert.is(port['containerPort'], 8443);
    const probe = (name: string): unknown => at(container, name, 'httpGet');
    assert.equal(probe('livenessProbe'), { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    assert.equal(probe('readinessProbe'), { path: '/readyz', port: 'https', scheme: 'HTTPS' });
    assert.equal(probe('startupProbe'), { path: '/healthz', port: 'https', scheme: 'HTTPS' });
  });

  test(`${install.name}: 2 replicas, never fewer while rolling out, a PDB, spread over nodes`, () => {
    const d = deployment();
    const labels = podLabels(d);
    assert.is(at(d, 'spec', 'replicas'), 2);
    assert.is(at(d, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable'), 0);
    assert.ok(selectorMatches(parseLabelSelector(at(d, 'spec', 'selector')), labels));

    const pdb = one(objects(), 'PodDisruptionBudget');
    assert.is(at(pdb, 'spec', 'minAvailable'), 1);
    assert.is(at(pdb, 'spec', 'maxUnavailable'), undefined);
    assert.ok(selectorMatches(parseLabelSelector(at(pdb, 'spec', 'selector')), labels), 'the PDB covers the Pods');

    const spread = list(podSpec(d)['topologySpreadConstraints'], 'topologySpreadConstraints');
    assert.is(spread.length, 1);
    assert.is(at(spread[0], 'topologyKey'), 'kubernetes.io/hostname');
    assert.is(at(spread[0], 'whenUnsatisfiable'), 'ScheduleAnyway');
    assert.is(at(spread[0], 'maxSkew'), 1);
    assert.ok(selectorMatches(parseLabelSelector(at(spread[0], 'labelSelector')), labels));
  });

  test(`${install.name}: the Service sends 443 to the Pods' https port`, () => {
    const service = one(objects(), 'Service', 'image-cloner');
    const ports = list(at(service, 'spec', 'ports'), 'Service ports');
    assert.equal(ports, [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    const selector = stringLabels(at(service, 'spec', 'selector'), 'Service selector');
    assert.ok(selectorMatches({ matchLabels: selector }, podLabels(deployment())));
  });

  test(`${install.name}: preStop sleeps, and the grace period covers it plus SHUTDOWN_GRACE_SECONDS`, () => {
    const container = webhookContainer(deployment());
    assert.equal(at(container, 'lifecycle', 'preStop'), { sleep: { seconds: 5 } });
    const grace = at(podSpec(deployment()), 'terminationGracePeriodSeconds');
    assert.type(grace, 'number');
    const needed = 5 + serveConfigOf(objects()).shutdownGraceMs / 1000;
    assert.ok(Number(grace) > needed, `terminationGracePeriodSeconds ${String(grace)} > ${needed}`);
  });

  test(`${install.name}: resources fit the measured footprint (110-130 MiB)`, () => {
    const resources = webhookContainer(deployment())['resources'];
    const limit = quantityBytes(at(resources, 'limits', 'memory'));
    const request = quantityBytes(at(resources, 'requests', 'memory'));
    assert.is(limit, 256 * MI);
    assert.ok(request >= 110 * MI && request <= limit, `request ${request}`);
    assert.type(at(resources, 'requests', 'cpu'), 'string');
    assert.type(at(resources, 'limits', 'cpu'), 'string');
  });

  test(`${install.name}: a service-account token only where the API is called`, () => {
    const sa = one(objects(), 'ServiceAccount', 'image-cloner');
    assert.is(sa['automountServiceAccountToken'], false);
    const spec = podSpec(deployment());
    assert.is(spec['serviceAccountName'], 'image-cloner');
    assert.is(spec['automountServiceAccountToken'], false);
    const tokenVolumes = list(spec['volumes'], 'volumes').filter((v) =>
      list(at(v, 'projected', 'sources') ?? [], 'sources').some((s) => at(s, 'serviceAccountToken') !== undefined),
    );
    const mounts = list(webhookContainer(deployment())['volumeMounts'], 'volumeMounts');
    const needed = install.selfManagedCerts || install.privateSources;
    if (!needed) {
      assert.is(tokenVolumes.length, 0, 'no token: nothing calls the API');
      assert.ok(mounts.every((m) => at(m, 'mountPath') !== TOKEN_DIR));
      return;
    }
    assert.is(tokenVolumes.length, 1, 'one token volume, even with two components that need it');
    const volume = tokenVolumes[0];
    const sources = list(at(volume, 'projected', 'sources'), 'sources');
    assert.equal(sources, [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    const mount = mounts.filter((m) => at(m, 'name') === at(volume, 'name'));
    assert.equal(mount, [{ name: at(volume, 'name'), mountPath: TOKEN_DIR, readOnly: true }]);
  });

  test(`${install.name}: the ConfigMap holds only variables image-cloner reads, and serve accepts them`, () => {
    const known = documentedVariables();
    assert.ok(known.has('BACKUP_REGISTRY') && known.has('SHUTDOWN_GRACE_SECONDS'), 'README table parsed');
    const data = webhookConfig(objects());
    for (const key of Object.keys(data)) {
      if (key === 'PULL_SECRETS_LOOKUP') assert.ok(install.privateSources, 'only the private-sources component sets it');
      assert.ok(known.has(key) || ANNOUNCED_VARIABLES.has(key), `${key} is a documented variable`);
    }
    const env = webhookContainer(deployment())['env'];
    for (const variable of env === undefined ? [] : list(env, 'env')) {
      const name = String(at(variable, 'name'));
      assert.ok(known.has(name), `env ${name} is a documented variable`);
    }
    const config = serveConfigOf(objects());
    assert.ok(config.copyBudgetMs > 0);
    // Self-managed installs give no certificate files, so serve makes its own,
    // under the names the self-managed-certs RBAC allows.
    if (install.selfManagedCerts) {
      assert.equal(config.tls.kind === 'managed' ? [config.tls.secretName, config.tls.webhookConfigurationName] : config.tls, [
        'image-cloner-certs',
        'image-cloner',
      ]);
    } else {
      assert.is(config.tls.kind, 'files');
    }
  });
}

test.run();
