/** PULL_SECRETS_LOOKUP and PULL_SECRETS_TTL_SECONDS in the serve configuration. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BadConfigError, parseServeConfig } from '../../src/server/config.js';
import type { Env } from '../../src/server/config.js';

const MINIMAL: Env = { BACKUP_REGISTRY: 'backup.example:5000', TLS_CERT_FILE: '/tls/tls.crt', TLS_KEY_FILE: '/tls/tls.key' };
const IN_CLUSTER: Env = { ...MINIMAL, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };

function problemsOf(env: Env): readonly string[] {
  try {
    parseServeConfig(env);
  } catch (error) {
    if (error instanceof BadConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a BadConfigError');
}

const test = suite('serve config: pull secrets lookup');

test('off by default, even in a cluster', () => {
  assert.is(parseServeConfig(IN_CLUSTER).pullSecrets, undefined);
  assert.is(parseServeConfig({ ...IN_CLUSTER, PULL_SECRETS_LOOKUP: 'false' }).pullSecrets, undefined);
});

test('on: the API server from the service variables, TTL 60 s by default', () => {
  assert.equal(parseServeConfig({ ...IN_CLUSTER, PULL_SECRETS_LOOKUP: 'true' }).pullSecrets, {
    ttlMs: 60_000,
    apiHost: '10.0.0.1',
    apiPort: '443',
  });
  assert.is(parseServeConfig({ ...IN_CLUSTER, PULL_SECRETS_LOOKUP: 'yes', PULL_SECRETS_TTL_SECONDS: '5' }).pullSecrets?.ttlMs, 5_000);
});

test('on outside a cluster: parsed (serve refuses to start when it cannot connect)', () => {
  assert.equal(parseServeConfig({ ...MINIMAL, PULL_SECRETS_LOOKUP: 'true' }).pullSecrets, {
    ttlMs: 60_000,
    apiHost: undefined,
    apiPort: undefined,
  });
});

test('bad values are problems', () => {
  const problems = problemsOf({ ...IN_CLUSTER, PULL_SECRETS_LOOKUP: 'maybe', PULL_SECRETS_TTL_SECONDS: '7200', COPY_JOBS: '0' });
  assert.ok(problems.some((p) => p.startsWith('COPY_JOBS')), 'reported together with the others');
  assert.ok(problems.some((p) => p.startsWith('PULL_SECRETS_LOOKUP:')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('PULL_SECRETS_TTL_SECONDS:')), problems.join('\n'));
});

test.run();
