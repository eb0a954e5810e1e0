/**
 * The soak (see bench/soak.sh): the real `serve` process on loopback, the
 * real registries, BENCH_DURATION seconds of admissions from
 * BENCH_CONNECTIONS HTTPS keep-alive connections (soak-load.ts), RSS and
 * descriptors sampled every BENCH_SAMPLE_MS (soak-proc.ts), copies counted
 * in the backup registry's access log (soak-setup.ts). The report goes to
 * stdout; progress to stderr.
 */
import { makeBenchDir } from './bench-setup.js';
import { assertBackupConsistent } from '../test/reliability/check-backup.js';
import { loadSoakConfig } from './soak-config.js';
import { runSoak } from './soak-load.js';
import { sampleProcess, startSampling, waitForClientsClosed } from './soak-proc.js';
import { formatResult, formatSummary, formatTimeline, mib, summarize } from './soak-report.js';
import { copiesPerImage, startSoakWorld, wrongCopyCounts } from './soak-setup.js';

const config = loadSoakConfig();
makeBenchDir(config.tmpdir, 'image-cloner-soak');
const log = (text: string): void => void process.stderr.write(`${text}\n`);

log(`soak: pushing ${config.mirrored} + ${config.fresh} + ${config.herds} images, starting serve, warming up`);
const soak = await startSoakWorld({ mirrored: config.mirrored, fresh: config.fresh, herd: config.herds });
let failed = false;
try {
  const { pid } = soak.serve.process;
  const { port } = soak.serve;
  const before = sampleProcess(pid, port, 0);
  log(`soak: ${config.durationMs / 1000} s of load from ${config.connections} connections`);
  const sampling = startSampling(pid, port, config.sampleMs);
  const result = await runSoak({ port, ca: soak.serve.pki.ca.certPem }, soak.mix, {
    connections: config.connections,
    durationMs: config.durationMs,
    seed: 1,
  });
  const samples = sampling.stop();
  const idle = await waitForClientsClosed(pid, port, 10_000);
  const summary = summarize(before, samples, idle);
  const copies = await copiesPerImage(soak);
  const wrong = wrongCopyCounts(soak, copies, result.images);
  const backup = await assertBackupConsistent(soak.world.registries.backup).then(
    (r) => `consistent (${r.tags} tags, ${r.blobs} blobs checked)`,
    (error: unknown) => `INCONSISTENT: ${error instanceof Error ? error.message : String(error)}`,
  );
  const copied = [...copies.values()].filter((n) => n > 0).length;
  console.log(`soak: ${formatResult(result)}`);
  if (result.errorSamples.length > 0) console.log(`errors (first ${result.errorSamples.length}): ${result.errorSamples.join(' | ')}`);
  console.log(`copies: ${copied} images copied, ${wrong.length} with a count other than one${wrong.length > 0 ? `: ${JSON.stringify(wrong.slice(0, 5))}` : ''}`);
  console.log(`backup: ${backup}`);
  console.log(`RSS and fds over time: ${formatTimeline(samples, Math.max(1, Math.round(5_000 / config.sampleMs)))}`);
  console.log(formatSummary(summary));
  console.log(`RSS per admission over the second half: ${((summary.rssGrowthKiB * 1024) / Math.max(1, result.admissions / 2)).toFixed(1)} bytes (growth ${mib(summary.rssGrowthKiB)})`);
  failed = result.errors > 0 || wrong.length > 0 || backup.startsWith('INCONSISTENT') || summary.otherFds.after > summary.otherFds.before + 4;
} finally {
  await soak.stop();
}
if (failed && config.strict) process.exitCode = 1;
