import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { parseImageRef } from '../../src/core/reference.js';
import { createPushRouter } from '../../src/mirror/backup-endpoint.js';

const test = suite('createPushRouter');
const target = parseImageRef('localhost:5001/docker.io/library/nginx:1.27@sha256:' + 'a'.repeat(64));

test('no endpoint: targets unchanged', () => {
  assert.is(createPushRouter('localhost:5001', undefined)(target), target);
});

test('an endpoint: backup targets move there, path, tag and digest kept', () => {
  const route = createPushRouter('localhost:5001', 'kind-registry:5000');
  assert.equal(route(target), { ...target, domain: 'kind-registry:5000' });
});

test('host names compare case-insensitively', () => {
  const route = createPushRouter('LocalHost:5001', 'Kind-Registry:5000');
  assert.is(route(target).domain, 'kind-registry:5000');
});

test('targets in other registries are left alone', () => {
  const route = createPushRouter('backup.example:443', 'kind-registry:5000');
  assert.is(route(target), target);
});

for (const [registry, endpoint] of [
  ['', undefined],
  ['localhost:5001', 'http://kind-registry:5000'],
  ['localhost:5001/prefix', undefined],
  ['localhost:5001', 'user:pw@kind-registry:5000'],
] as const) {
  test(`refused: ${JSON.stringify([registry, endpoint])}`, () => {
    try {
      createPushRouter(registry, endpoint);
      assert.unreachable('accepted');
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_CONFIG', String(error));
    }
  });
}

test.run();
