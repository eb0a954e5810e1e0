/**
 * Secrets mounted into the webhook Pod (the serving key under cert-manager,
 * the registry credentials) are readable by the process and nobody else:
 * mode 0440, root-owned with the Pod's fsGroup as group, and the process runs
 * as a non-root user in that group (test/manifests/deployment.test.ts pins
 * the security contexts). Self-managed installs mount no key at all: the
 * webhook keeps it in memory, from the Secret it reads through the API.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { INSTALLS } from './installs.js';
import { at, list, named, one, podSpec, webhookConfig, webhookContainer } from './render.js';

/** 0440: owner (root) and group (fsGroup) read; nothing for others, nothing writable. */
const SECRET_MODE = 0o440;

const test = suite('manifests: mounted Secrets');

for (const install of INSTALLS) {
  test(`${install.name}: every Secret volume is 0440, read by the fsGroup the process runs in`, () => {
    const deployment = one(install.objects(), 'Deployment', 'image-cloner');
    const spec = podSpec(deployment);
    const fsGroup = at(spec, 'securityContext', 'fsGroup');
    assert.type(fsGroup, 'number');
    assert.ok(Number(fsGroup) > 0, 'not root');
    assert.is(at(webhookContainer(deployment), 'securityContext', 'runAsGroup'), fsGroup, 'the process is in that group');
    const secrets = list(spec['volumes'], 'volumes').filter((v) => at(v, 'secret') !== undefined);
    assert.ok(secrets.length > 0, 'at least the registry credentials');
    for (const volume of secrets) {
      assert.is(at(volume, 'secret', 'defaultMode'), SECRET_MODE, String(at(volume, 'name')));
      const items = at(volume, 'secret', 'items');
      if (items !== undefined) for (const item of list(items, 'items')) assert.is(at(item, 'mode'), undefined, 'no item loosens it');
    }
  });

  test(`${install.name}: a serving key file ${install.certManager ? 'from the cert-manager Secret' : 'nowhere (kept in memory)'}`, () => {
    const objects = install.objects();
    const keyFile = webhookConfig(objects)['TLS_KEY_FILE'];
    if (!install.certManager) {
      assert.is(keyFile, undefined);
      return;
    }
    const volume = named(podSpec(one(objects, 'Deployment', 'image-cloner'))['volumes'], 'tls', 'volumes');
    assert.is(at(volume, 'secret', 'secretName'), 'image-cloner-tls');
    assert.is(at(volume, 'secret', 'defaultMode'), SECRET_MODE);
    assert.ok(keyFile?.startsWith('/etc/image-cloner/tls/'), keyFile);
  });
}

test.run();
