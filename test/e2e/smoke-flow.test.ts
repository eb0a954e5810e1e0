/**
 * The no-cluster smoke flow (scripts/smoke.sh) as a test: manifests/ rendered,
 * the real `image-cloner serve` configured from them, and the API server
 * stand-in dispatching to it by the manifests' MutatingWebhookConfiguration
 * (excluded namespaces, opt-out label, dry run, failurePolicy Ignore).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runSmokeChecks, type Check } from '../../scripts/smoke/smoke-flow.js';
import { startSmokeWorld } from '../../scripts/smoke/smoke-world.js';

const smoke = suite('smoke flow: manifests/ through the API server stand-in');

smoke('every check holds', async () => {
  const world = await startSmokeWorld();
  const lines: string[] = [];
  let checks: Check[] = [];
  try {
    checks = await runSmokeChecks(world, (line) => lines.push(line));
  } finally {
    await world.stop();
  }
  assert.ok(checks.length >= 10, `ran ${checks.length} checks`);
  const failed = checks.filter((c) => !c.ok).map((c) => c.what);
  assert.equal(failed, [], lines.join('\n'));
});

smoke.run();
