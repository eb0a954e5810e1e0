/**
 * In-cluster configuration: the API server URL from the two service
 * variables (passed in, IPv6 bracketed), the CA and namespace files, and
 * clear errors outside a cluster.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { apiServerUrl, loadInClusterConfig, readInClusterNamespace } from '../../src/kube/in-cluster-config.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { sharedTestPki } from '../helpers/tls.js';

const url = suite('apiServerUrl');

const good: Array<[string, string, string]> = [
  ['10.96.0.1', '443', 'https://10.96.0.1/'],
  ['10.96.0.1', '6443', 'https://10.96.0.1:6443/'],
  ['fd00:10:96::1', '443', 'https://[fd00:10:96::1]/'],
  ['[fd00::1]', '8443', 'https://[fd00::1]:8443/'],
  ['kubernetes.default.svc', '443', 'https://kubernetes.default.svc/'],
];
for (const [host, port, expected] of good) {
  url(`${host} ${port} -> ${expected}`, () => {
    assert.is(apiServerUrl(host, port).href, expected);
  });
}

const bad: Array<[string | undefined, string | undefined, RegExp]> = [
  [undefined, '443', /not running in a Kubernetes Pod/],
  ['10.96.0.1', undefined, /not running in a Kubernetes Pod/],
  ['', '', /not running in a Kubernetes Pod/],
  ['10.96.0.1', 'https', /not a port/],
  ['10.96.0.1', '70000', /not a port/],
  ['bad host', '443', /not a host/],
];
for (const [host, port, message] of bad) {
  url(`${String(host)} ${String(port)} is IC_ERR_BAD_CONFIG`, () => {
    try {
      apiServerUrl(host, port);
      assert.unreachable('should fail');
    } catch (error) {
      assert.ok(isClonerError(error));
      assert.is(error.code, 'IC_ERR_BAD_CONFIG');
      assert.match(error.message, message);
    }
  });
}
url.run();

const files = suite('in-cluster files');

files('loads the CA and builds a token source on the token file', async () => {
  const pki = await sharedTestPki();
  const dir = makeTempDir('sa');
  await writeFile(join(dir, 'token'), 'abc\n');
  const connection = await loadInClusterConfig({ host: '127.0.0.1', port: '6443', tokenFile: join(dir, 'token'), caFile: pki.ca.certFile });
  assert.is(connection.caPem, pki.ca.certPem);
  assert.is(connection.baseUrl.href, 'https://127.0.0.1:6443/');
  assert.is(await connection.tokens.token(), 'abc');
});

files('a missing or non-PEM CA file is IC_ERR_KUBE naming it', async () => {
  const dir = makeTempDir('sa');
  await writeFile(join(dir, 'ca.crt'), 'not a certificate');
  for (const [caFile, message] of [
    [join(dir, 'absent.crt'), /absent.crt: ENOENT/],
    [join(dir, 'ca.crt'), /holds no PEM certificate/],
  ] as const) {
    try {
      await loadInClusterConfig({ host: '127.0.0.1', port: '443', caFile });
      assert.unreachable('should fail');
    } catch (error) {
      assert.ok(isClonerError(error));
      assert.is(error.code, 'IC_ERR_KUBE');
      assert.match(error.message, message);
    }
  }
});

files('the namespace file', async () => {
  const dir = makeTempDir('sa');
  await writeFile(join(dir, 'namespace'), 'image-cloner');
  assert.is(await readInClusterNamespace(join(dir, 'namespace')), 'image-cloner');
  await writeFile(join(dir, 'namespace'), 'Not/A/Name');
  try {
    await readInClusterNamespace(join(dir, 'namespace'));
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.match(error.message, /does not hold a namespace name/);
  }
});
files.run();
