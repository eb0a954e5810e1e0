/** Construction problems and behaviours that need no registry. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { MirrorService } from '../../src/mirror/mirror-service.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { copyRequest } from './mirror-fixtures.js';

const test = suite('MirrorService options');

for (const bad of [
  { copyConcurrency: 0 },
  { copyConcurrency: 1.5 },
  { maxQueued: -1 },
  { jobs: 0 },
  { tagTtlMs: Number.NaN },
  { failureTtlMs: -1 },
  { cacheSize: 0 },
  { backupEndpoint: 'https://x.example' },
]) {
  test(`refused: ${JSON.stringify(bad)}`, async () => {
    const pool = new RegistryPool();
    try {
      new MirrorService({ pool, backupRegistry: 'backup.example', ...bad });
      assert.unreachable('accepted');
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_CONFIG', String(error));
    } finally {
      await pool.close();
    }
  });
}

test('a failing source with a throwing observer: still an answer, never a rejection', async () => {
  // Port 1 on loopback refuses connections at once.
  const pool = new RegistryPool({ insecureHosts: ['127.0.0.1:1'], backoff: { maxAttempts: 1, baseMs: 1, maxMs: 1 } });
  const boom = (): never => {
    throw new Error('observer failure');
  };
  try {
    const mirror = new MirrorService({
      pool,
      backupRegistry: 'backup.example',
      observer: { onCacheHit: boom, onCopyStarted: boom, onCopyFinished: boom },
    });
    const request = copyRequest('127.0.0.1:1/team/app:v1', 'backup.example');
    const outcomes = await mirror.ensure([request], { dryRun: false, deadline: Date.now() + 10_000 });
    const outcome = outcomes.get(request.key);
    assert.is(outcome?.status, 'failed');
    const again = await mirror.ensure([request], { dryRun: false, deadline: Date.now() + 10_000 });
    assert.equal(again.get(request.key), outcome, 'cached, despite the observer');
  } finally {
    await pool.close();
  }
});

test('drain with nothing in flight is immediate', async () => {
  const pool = new RegistryPool();
  try {
    const mirror = new MirrorService({ pool, backupRegistry: 'backup.example' });
    assert.is(await mirror.drain(0), true);
    assert.is(mirror.inFlight, 0);
  } finally {
    await pool.close();
  }
});

test.run();
