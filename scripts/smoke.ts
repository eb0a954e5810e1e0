/**
 * `scripts/smoke.sh` without a cluster: the whole flow on this machine. Real
 * registries, the real `image-cloner serve`, and the API server's part played
 * from manifests/ by the stand-in. Exit 0 only if every check held.
 */
import { runSmokeChecks } from './smoke/smoke-flow.js';
import { startSmokeWorld, type SmokeWorld } from './smoke/smoke-world.js';

const log = (line: string): void => void process.stdout.write(`${line}\n`);
let world: SmokeWorld | undefined;
let failed = 0;
try {
  world = await startSmokeWorld();
  log(`source registry  http://${world.source.host} (plain HTTP, anonymous)`);
  log(`backup registry  https://${world.backup.host} (TLS, token auth); BACKUP_REGISTRY=${world.backupName}`);
  log(`webhook          image-cloner serve, configured from manifests/, called as the API server would\n`);
  const checks = await runSmokeChecks(world, log);
  failed = checks.filter((c) => !c.ok).length;
} catch (error) {
  log(`FAIL  smoke run: ${error instanceof Error ? error.message : String(error)}`);
  failed++;
} finally {
  await world?.stop();
}
log(failed === 0 ? '\nsmoke: all checks passed' : `\nsmoke: ${failed} check(s) failed`);
process.exit(failed === 0 ? 0 : 1);
