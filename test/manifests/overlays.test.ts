/**
 * What each overlay and component changes: the image placeholder and its
 * overrides, Kind's two names for one registry, cert-manager's certificate
 * files, and the backup registry credentials (an example Secret that parses
 * as the webhook will read it, optional in the base, required and wired to
 * REGISTRY_AUTH_FILE by its component).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findCredentials, parseDockerConfig } from '../../src/core/docker-config.js';
import { parseServeConfig } from '../../src/server/config.js';
import {
  CERT_MANAGER_INSTALL,
  CERT_MANAGER_PRIVATE_SOURCES_INSTALL,
  DEFAULT_INSTALL,
  EXAMPLE_INSTALL,
  INSTALLS,
  KIND_INSTALL,
  PRIVATE_SOURCES_INSTALL,
} from './installs.js';
import { NAMESPACE, at, list, named, one, parseYamlObjects, podSpec, readRepoFile, webhookConfig, webhookContainer } from './render.js';
import type { KubeObject } from './render.js';

const CREDENTIALS_SECRET = 'image-cloner-registry-credentials';
const CREDENTIALS_DIR = '/etc/image-cloner/registry';

function deploymentOf(objects: readonly KubeObject[]): KubeObject {
  return one(objects, 'Deployment', 'image-cloner');
}

function mountOf(deployment: KubeObject, volume: string): Record<string, unknown> {
  const mounts = list(webhookContainer(deployment)['volumeMounts'], 'volumeMounts').filter((m) => at(m, 'name') === volume);
  assert.is(mounts.length, 1, `one mount of ${volume}`);
  return named(mounts, volume, 'volumeMounts');
}

function dirOf(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}

const test = suite('manifests: overlays and components');

test('images: a placeholder name in the base, replaced by the overlays', () => {
  const image = (objects: readonly KubeObject[]): unknown => webhookContainer(deploymentOf(objects))['image'];
  assert.is(image(DEFAULT_INSTALL.objects()), 'image-cloner:latest');
  assert.is(image(CERT_MANAGER_INSTALL.objects()), 'image-cloner:latest');
  assert.is(image(PRIVATE_SOURCES_INSTALL.objects()), 'image-cloner:latest');
  assert.is(image(KIND_INSTALL.objects()), 'localhost:5001/image-cloner:dev');
  assert.is(image(EXAMPLE_INSTALL.objects()), 'registry.example.com/tools/image-cloner:0.1.0');
  // The base leaves the pull policy to the tag (:latest -> Always, a fixed tag -> IfNotPresent).
  assert.is(webhookContainer(deploymentOf(DEFAULT_INSTALL.objects()))['imagePullPolicy'], undefined);
});

test('kind: pod specs name localhost:5001, the webhook pushes to http://kind-registry:5000', () => {
  const objects = KIND_INSTALL.objects();
  const data = webhookConfig(objects);
  assert.is(data['BACKUP_REGISTRY'], 'localhost:5001');
  assert.is(data['BACKUP_REGISTRY_ENDPOINT'], 'http://kind-registry:5000');
  const config = parseServeConfig({ TLS_CERT_FILE: '/x', TLS_KEY_FILE: '/y', ...data });
  assert.equal(config.backupEndpoint, { host: 'kind-registry:5000', insecure: true });
  assert.is(config.policy.naming.registry, 'localhost:5001');
  // A :dev tag must not be pulled again on every start (a loaded image would fail).
  assert.is(webhookContainer(deploymentOf(objects))['imagePullPolicy'], 'IfNotPresent');
  // Everything else is the default install, self-managed certificates included.
  one(objects, 'Role', 'image-cloner-certs');
});

test('cert-manager: the TLS Secret is mounted where TLS_CERT_FILE and TLS_KEY_FILE point, and follows renewals', () => {
  const objects = CERT_MANAGER_INSTALL.objects();
  const data = webhookConfig(objects);
  assert.is(data['TLS_CERT_FILE'], '/etc/image-cloner/tls/tls.crt');
  assert.is(data['TLS_KEY_FILE'], '/etc/image-cloner/tls/tls.key');
  const deployment = deploymentOf(objects);
  const volume = named(podSpec(deployment)['volumes'], 'tls', 'volumes');
  const certificate = one(objects, 'Certificate', 'image-cloner');
  assert.is(at(volume, 'secret', 'secretName'), at(certificate, 'spec', 'secretName'));
  assert.is(at(volume, 'secret', 'secretName'), 'image-cloner-tls');
  assert.is(at(volume, 'secret', 'optional'), undefined, 'required: no serving without it');
  const mount = mountOf(deployment, 'tls');
  assert.is(mount['mountPath'], dirOf(data['TLS_CERT_FILE'] ?? ''));
  assert.is(mount['mountPath'], dirOf(data['TLS_KEY_FILE'] ?? ''));
  assert.is(mount['readOnly'], true);
  // A subPath mount is never updated by the kubelet: renewals would not show.
  assert.is(mount['subPath'], undefined);
  const config = parseServeConfig(data);
  assert.equal(config.tls, { kind: 'files', certFile: data['TLS_CERT_FILE'], keyFile: data['TLS_KEY_FILE'] });
});

test('cert-manager: every issuer the certificates name is here, and the serving one is signed by our CA', () => {
  const objects = CERT_MANAGER_INSTALL.objects();
  for (const certificate of objects.filter((o) => o.kind === 'Certificate')) {
    const issuer = String(at(certificate, 'spec', 'issuerRef', 'name'));
    assert.is(at(certificate, 'spec', 'issuerRef', 'kind'), 'Issuer');
    one(objects, 'Issuer', issuer);
  }
  const serving = one(objects, 'Certificate', 'image-cloner');
  const caIssuer = one(objects, 'Issuer', String(at(serving, 'spec', 'issuerRef', 'name')));
  const caCertificate = objects.find(
    (o) => o.kind === 'Certificate' && at(o, 'spec', 'secretName') === at(caIssuer, 'spec', 'ca', 'secretName'),
  );
  assert.ok(caCertificate !== undefined, 'the CA issuer signs with a Certificate of ours');
  assert.is(at(caCertificate, 'spec', 'isCA'), true);
  assert.ok(list(at(serving, 'spec', 'usages'), 'usages').includes('server auth'));
});

test('cert-manager + private-sources: a token comes back, because that component calls the API', () => {
  const spec = podSpec(deploymentOf(CERT_MANAGER_PRIVATE_SOURCES_INSTALL.objects()));
  const volumes = list(spec['volumes'], 'volumes').map((v) => at(v, 'name'));
  assert.ok(volumes.includes('kube-api-access'));
  assert.ok(volumes.includes('tls'));
});

test('registry credentials: the base mounts the Secret as optional and names no auth file', () => {
  for (const install of INSTALLS) {
    const objects = install.objects();
    const deployment = deploymentOf(objects);
    const volume = named(podSpec(deployment)['volumes'], 'registry-credentials', 'volumes');
    assert.is(at(volume, 'secret', 'secretName'), CREDENTIALS_SECRET, install.name);
    assert.equal(mountOf(deployment, 'registry-credentials'), {
      name: 'registry-credentials',
      mountPath: CREDENTIALS_DIR,
      readOnly: true,
    });
    const file = webhookConfig(objects)['REGISTRY_AUTH_FILE'];
    if (install === EXAMPLE_INSTALL) {
      // components/registry-credentials: the file in the mounted Secret, which is now required.
      assert.is(file, `${CREDENTIALS_DIR}/.dockerconfigjson`);
      assert.is(at(volume, 'secret', 'optional'), false);
    } else {
      // serve refuses a REGISTRY_AUTH_FILE that is not there: the base must run without the Secret.
      assert.is(file, undefined, install.name);
      assert.is(at(volume, 'secret', 'optional'), true, install.name);
    }
  }
});

test('registry credentials: the example Secret is what the Deployment mounts, and the webhook can read it', () => {
  const objects = parseYamlObjects(readRepoFile('manifests/examples/registry-credentials-secret.yaml'), 'example Secret');
  const secret = one(objects, 'Secret', CREDENTIALS_SECRET);
  assert.is(secret.metadata.namespace, NAMESPACE);
  assert.is(secret['type'], 'kubernetes.io/dockerconfigjson');
  const json = at(secret, 'stringData', '.dockerconfigjson');
  assert.type(json, 'string');
  // The key REGISTRY_AUTH_FILE names, parsed as serve parses it.
  const config = parseDockerConfig(String(json));
  const credentials = findCredentials(config, 'registry.example.com');
  assert.ok(credentials !== undefined, 'credentials for the example registry');
  // Placeholders only.
  assert.match(String(json), /REPLACE-WITH-/);
  assert.not.match(String(json), /"auth"\s*:/);
  // Never part of a kustomization (see deployment.test.ts: no Secret rendered).
  for (const dir of ['manifests/base', 'manifests', 'manifests/overlays/kind', 'manifests/overlays/cert-manager']) {
    assert.not.match(readRepoFile(`${dir}/kustomization.yaml`), /registry-credentials-secret/, dir);
  }
});

test.run();
