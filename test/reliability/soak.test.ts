/**
 * A short soak in the suite (bench/soak.sh is the long one): 15 s of
 * admissions (tens of thousands) over HTTPS from 32 keep-alive connections against the real
 * `serve` process, a mix of mirrored images, new distinct images and herds
 * of one new image from every connection at once. Asserted: zero errors;
 * exactly one copy per distinct image (tag PUTs in the backup's access
 * log); no socket or descriptor left over once the clients have gone
 * (/proc, sockets told apart by the TCP table); RSS after warm-up not
 * growing over the second half; and the backup consistent (check-backup).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runSoak } from '../../bench/soak-load.js';
import { sampleProcess, startSampling, waitForClientsClosed } from '../../bench/soak-proc.js';
import { formatResult, formatSummary, formatTimeline, mib, summarize } from '../../bench/soak-report.js';
import { copiesPerImage, startSoakWorld, wrongCopyCounts } from '../../bench/soak-setup.js';
import { lazyFixture } from '../helpers/fixture.js';
import { assertBackupConsistent } from './check-backup.js';

/** Long enough for RSS after warm-up to show a trend (thousands of admissions a second here). */
const DURATION_MS = 15_000;
const MIN_ADMISSIONS = 3_000;
const CONNECTIONS = 32;
/** RSS may move this much between the middle of the load and its end (GC timing), not more. */
const RSS_GROWTH_KIB = 24 * 1024;
/** Descriptors besides sockets (files, pipes, timers) that may come and go. */
const FD_SLACK = 4;
/** Undici's pool to each registry origin (32 by default; two origins). */
const OUTBOUND_MAX = 64;

const soak = lazyFixture(() => startSoakWorld({ mirrored: 20, fresh: 20, herd: 5 }), (s) => s.stop());

const test = suite('soak: thousands of admissions, no errors, one copy per image, no leak');
test.after(() => soak.dispose());

test(`${DURATION_MS / 1000} s of admissions from ${CONNECTIONS} connections`, async () => {
  const s = await soak.get();
  const pid = s.serve.process.pid;
  const port = s.serve.port;
  const baseline = sampleProcess(pid, port, 0);
  const sampling = startSampling(pid, port, 250);
  const result = await runSoak({ port, ca: s.serve.pki.ca.certPem }, s.mix, { connections: CONNECTIONS, durationMs: DURATION_MS, seed: 5 });
  const samples = sampling.stop();

  // The clients are gone: every accepted connection must close.
  const idle = await waitForClientsClosed(pid, port, 5_000);
  const summary = summarize(baseline, samples, idle);
  const copies = await copiesPerImage(s);
  console.log(`  ${formatResult(result)}`);
  console.log(`  over time: ${formatTimeline(samples, 8)}`);
  console.log(`  ${formatSummary(summary)}`);

  assert.ok(result.admissions >= MIN_ADMISSIONS, `${result.admissions} admissions`);
  assert.is(result.errors, 0, result.errorSamples.join(' | '));
  assert.ok(result.herds >= 1, 'at least one herd was sent');
  assert.equal(wrongCopyCounts(s, copies, result.images), [], 'one copy (tag PUT) per distinct image admitted');
  assert.ok(result.images.size >= 40, `${result.images.size} distinct images admitted`);
  const { otherFds, peak, rssGrowthKiB } = summary;
  assert.ok(otherFds.after <= otherFds.before + FD_SLACK, `descriptors other than sockets: ${otherFds.before} before, ${otherFds.after} after`);
  assert.ok(peak.outbound <= OUTBOUND_MAX, `${peak.outbound} registry connections at the peak`);
  assert.ok(rssGrowthKiB <= RSS_GROWTH_KIB, `RSS grew ${mib(rssGrowthKiB)} over the second half`);
  await assertBackupConsistent(s.world.registries.backup);
});

test.run();
