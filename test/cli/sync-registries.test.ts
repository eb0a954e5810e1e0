/**
 * `image-cloner sync` between real registries: a plain-HTTP anonymous
 * source and a TLS + htpasswd backup (mirror-world.ts), configured by flags.
 * --dry-run lists what would be copied and writes nothing (the backup's own
 * access log); a sync (through the built CLI) copies each distinct image
 * once, a digest-only one under its anchor tag, and prints the table; a
 * second sync finds everything present; a missing image fails the run with a
 * clear line while the others still copy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/built-cli.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, makeSimpleImage, makeTwoPlatformIndex, pushImage } from '../helpers/images.js';
import { expectedBackupRef, expectedBackupRepo, startMirrorWorld, type MirrorWorld } from '../helpers/mirror-world.js';
import { accessLogSince, markAccessLog, syncAccessLog } from '../helpers/registry-access-log.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { assertNoSecrets } from './cli-fixtures.js';
import { runInProcess } from '../manifest-files/manifest-harness.js';

interface World extends MirrorWorld {
  readonly dir: string;
  readonly manifest: string;
  readonly webDigest: string;
  readonly multiDigest: string;
}

const world = lazyFixture<World>(
  async () => {
    const mirror = await startMirrorWorld();
    try {
      const { source, backup } = mirror;
      const web = await pushImage(source, 'app/web', 'v1', await makeSimpleImage('docker', { seed: 'sync-web' }));
      const multi = await pushImage(source, 'app/multi', undefined, await makeTwoPlatformIndex('oci', { seed: 'sync-multi' }));
      const dir = makeTempDir('sync-registries');
      const manifest = join(dir, 'app.yaml');
      // web appears twice (two objects), and one image is in the backup already: three slots, two copies.
      writeFileSync(
        manifest,
        `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: "${source.host}/app/multi@${multi.digest}"}
      containers:
      - {name: web, image: "${source.host}/app/web:v1"}
      - {name: mirrored, image: "${backup.host}/somewhere/else:1"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: job, image: "${source.host}/app/web:v1"}
`,
      );
      return { ...mirror, dir, manifest, webDigest: web.digest, multiDigest: multi.digest };
    } catch (error) {
      await mirror.stop();
      throw error;
    }
  },
  async (w) => {
    await w.stop();
    await removeTempDir(w.dir);
  },
);

const test = suite('sync between real registries');
test.after(() => world.dispose());

function syncArgs(w: World, file = w.manifest): string[] {
  return ['--backup', w.backup.host, '--authfile', w.authFile, '--ca-file', w.backup.caFile ?? '', '--insecure', w.source.host, '-f', file];
}

/** The table's rows as cells (columns are separated by two or more spaces). */
function tableRows(stdout: string): string[][] {
  const [header, ...rows] = stdout.trimEnd().split('\n');
  assert.equal(header?.split(/ {2,}/), ['IMAGE', 'BACKUP', 'DIGEST', 'STATUS', 'BYTES', 'SECONDS', 'REFERRERS']);
  return rows.map((row) => row.split(/ {2,}/));
}

async function inBackup(w: World, repo: string, reference: string): Promise<string | undefined> {
  return fetchManifest(w.backup, repo, reference).then(
    (m) => m.digest,
    () => undefined,
  );
}

function secrets(w: World): string[] {
  const { username, password } = w.backup;
  return [password ?? '?', Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')];
}

test('--dry-run lists what would be copied and writes nothing to the backup', async () => {
  const w = await world.get();
  await syncAccessLog(w.backup);
  const mark = markAccessLog(w.backup);
  const result = await runInProcess('sync', ['--dry-run', ...syncArgs(w)]);
  assert.is(result.code, 0, result.stderr);
  const rows = tableRows(result.stdout);
  assert.equal(
    rows.map((r) => [r[0], r[1], r[2], r[3]]),
    [
      [`${w.source.host}/app/multi@${w.multiDigest}`, expectedBackupRef(w.backup.host, { host: w.source.host, repo: 'app/multi' }, w.multiDigest), w.multiDigest, 'would copy'],
      [`${w.source.host}/app/web:v1`, `${w.backup.host}/${expectedBackupRepo({ host: w.source.host, repo: 'app/web' })}:v1`, w.webDigest, 'would copy'],
    ],
  );
  await syncAccessLog(w.backup);
  const writes = accessLogSince(mark).filter((entry) => entry.method !== 'GET' && entry.method !== 'HEAD');
  assert.equal(writes, []);
  assert.is(await inBackup(w, expectedBackupRepo({ host: w.source.host, repo: 'app/web' }), 'v1'), undefined);
});

test('sync (built CLI) copies each distinct image once, digest-only under its anchor tag', async () => {
  const w = await world.get();
  const result = await runCli(['sync', '--jobs', '2', ...syncArgs(w)]);
  assert.is(result.code, 0, result.stderr);
  assertNoSecrets(result, secrets(w));
  const rows = tableRows(result.stdout);
  assert.is(rows.length, 2);
  for (const row of rows) {
    assert.is(row[3], 'copied', row.join(' | '));
    assert.ok(Number(row[4]) > 0, 'bytes');
    assert.ok(Number(row[5]) >= 0, 'seconds');
    assert.is(row[6], 'none', 'referrers looked for, none found');
  }
  // Non-TTY progress: one plain line per finished image.
  assert.match(result.stderr, new RegExp(`copied ${w.source.host}/app/web:v1 -> ${w.backup.host}/`));
  const webRepo = expectedBackupRepo({ host: w.source.host, repo: 'app/web' });
  const multiRepo = expectedBackupRepo({ host: w.source.host, repo: 'app/multi' });
  assert.is(await inBackup(w, webRepo, 'v1'), w.webDigest);
  assert.is(await inBackup(w, multiRepo, `mirror-${w.multiDigest.replace(':', '-')}`), w.multiDigest);
});

test('a second sync finds everything present and copies nothing; --dry-run agrees', async () => {
  const w = await world.get();
  await syncAccessLog(w.backup);
  const mark = markAccessLog(w.backup);
  const again = await runInProcess('sync', syncArgs(w));
  assert.is(again.code, 0, again.stderr);
  assert.equal(tableRows(again.stdout).map((r) => [r[3], r[4], r[6]]), [['present', '0', '-'], ['present', '0', '-']]);
  await syncAccessLog(w.backup);
  assert.equal(accessLogSince(mark).filter((e) => e.method === 'PUT' || e.method === 'POST' || e.method === 'PATCH'), []);
  const dry = await runInProcess('sync', ['--dry-run', ...syncArgs(w)]);
  assert.equal(tableRows(dry.stdout).map((r) => r[3]), ['present', 'present']);
});

test('a missing image fails the run with a clear line; the others still copy', async () => {
  const w = await world.get();
  const fresh = await pushImage(w.source, 'app/fresh', 'v2', await makeSimpleImage('oci', { seed: 'sync-fresh' }));
  const file = join(w.dir, 'broken.yaml');
  const missing = `${w.source.host}/app/missing:v9`;
  writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: "${missing}"}\n  - {name: b, image: "${w.source.host}/app/fresh:v2"}\n  - {name: c, image: "<bad>"}\n`);
  const result = await runInProcess('sync', syncArgs(w, file));
  assert.is(result.code, 1);
  const rows = tableRows(result.stdout);
  assert.equal(rows.map((r) => [r[0], r[3]]), [[missing, 'failed'], [`${w.source.host}/app/fresh:v2`, 'copied']]);
  assert.is(rows[0]?.[2], '-');
  assert.match(result.stderr, new RegExp(`image-cloner: ${missing.replaceAll('.', '\\.')}: .*manifest unknown`));
  assert.match(result.stderr, /image-cloner: sync: 1 of 2 images failed\n$/);
  assert.match(result.stderr, /warning: .*container "c": image "<bad>" left unchanged/);
  assert.is(await inBackup(w, expectedBackupRepo({ host: w.source.host, repo: 'app/fresh' }), 'v2'), fresh.digest);
});

test('nothing to copy: exit 0 and says so', async () => {
  const w = await world.get();
  const file = join(w.dir, 'none.yaml');
  writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {image: "nginx"}\n`);
  const result = await runInProcess('sync', syncArgs(w, file));
  assert.is(result.code, 0);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /no image to copy \(0 images found/);
});

test('usage errors exit 2', async () => {
  const w = await world.get();
  for (const args of [['--jobs', '0', ...syncArgs(w)], ['--backup', 'b.example', '--insecure', 'not a host', '-f', w.manifest]]) {
    const result = await runInProcess('sync', args);
    assert.is(result.code, 2, result.stderr);
    assert.match(result.stderr, /\[IC_ERR_USAGE\]\n$/);
  }
});

test.run();
