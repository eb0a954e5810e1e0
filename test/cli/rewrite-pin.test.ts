/**
 * `image-cloner rewrite --pin` against the real registry: each image is
 * pinned to the digest its source names (tag kept, digest-only kept), read
 * by the webhook's dry-run path, which never contacts the backup registry
 * (here a name that does not resolve, so any attempt would fail the run);
 * an image the source does not have is left alone with exit 1; `--no-pin`
 * sends the registry no request at all (the registry's own access log).
 * Once through the built CLI.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/built-cli.js';
import { lazyFixture } from '../helpers/fixture.js';
import { makeSimpleImage, makeTwoPlatformIndex, pushImage } from '../helpers/images.js';
import { expectedBackupRef } from '../helpers/mirror-world.js';
import { accessLogSince, markAccessLog, syncAccessLog } from '../helpers/registry-access-log.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { readDocuments, runInProcess } from '../manifest-files/manifest-harness.js';

const BACKUP = 'backup.invalid:5000';

interface World {
  readonly source: TestRegistry;
  readonly dir: string;
  readonly webDigest: string;
  readonly multiDigest: string;
  readonly manifest: string;
}

const world = lazyFixture<World>(
  async () => {
    const source = await startRegistry({ auth: 'none' });
    try {
      const web = await pushImage(source, 'app/web', 'v1', await makeSimpleImage('oci', { seed: 'rewrite-pin' }));
      const multi = await pushImage(source, 'app/multi', undefined, await makeTwoPlatformIndex('oci', { seed: 'rewrite-pin' }));
      const dir = makeTempDir('rewrite-pin');
      const manifest = join(dir, 'deploy.yaml');
      writeFileSync(
        manifest,
        `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: ${source.host}/app/web:v1 # tag
      - name: multi
        image: "${source.host}/app/multi@${multi.digest}"
`,
      );
      return { source, dir, webDigest: web.digest, multiDigest: multi.digest, manifest };
    } catch (error) {
      await source.stop();
      throw error;
    }
  },
  async (w) => {
    await w.source.stop();
    await removeTempDir(w.dir);
  },
);

const test = suite('rewrite --pin against a real registry');
test.after(() => world.dispose());

function pinArgs(w: World, file: string): string[] {
  return ['--pin', '--backup', BACKUP, '--insecure', w.source.host, '-f', file];
}

test('pins every image to the digest its source names, nothing else changes', async () => {
  const w = await world.get();
  const result = await runInProcess('rewrite', pinArgs(w, w.manifest));
  assert.is(result.code, 0, result.stderr);
  const web = expectedBackupRef(BACKUP, { host: w.source.host, repo: 'app/web', tag: 'v1' }, w.webDigest);
  const multi = expectedBackupRef(BACKUP, { host: w.source.host, repo: 'app/multi' }, w.multiDigest);
  assert.match(result.stdout, `        image: ${web} # tag\n`);
  assert.match(result.stdout, `        image: "${multi}"\n`);
  assert.match(result.stdout, `  name: web\n  annotations:\n    image-cloner.io/original-images: '{"multi":`);
  assert.match(result.stderr, /2 of 2 images rewritten/);
});

test('an image its source does not have: left alone, reported, exit 1', async () => {
  const w = await world.get();
  const file = join(w.dir, 'missing.yaml');
  const missing = `${w.source.host}/app/missing:v9`;
  writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: gone\n    image: ${missing}\n  - name: web\n    image: ${w.source.host}/app/web:v1\n`);
  const result = await runInProcess('rewrite', pinArgs(w, file));
  assert.is(result.code, 1);
  const [pod] = readDocuments(result.stdout) as { spec: { containers: { image: string }[] } }[];
  assert.is(pod?.spec.containers[0]?.image, missing);
  assert.ok(pod?.spec.containers[1]?.image.endsWith(`@${w.webDigest}`));
  assert.match(result.stderr, new RegExp(`Pod/p: container "gone": image left unchanged, cannot resolve ${missing.replaceAll('.', '\\.')}: manifest unknown`));
});

test('--no-pin sends no request to any registry', async () => {
  const w = await world.get();
  await syncAccessLog(w.source);
  const mark = markAccessLog(w.source);
  const result = await runInProcess('rewrite', ['--no-pin', '--backup', BACKUP, '--insecure', w.source.host, '-f', w.manifest]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, `image: ${BACKUP}/${w.source.host.replace(':', '_')}/app/web:v1 # tag`);
  await syncAccessLog(w.source);
  const requests = accessLogSince(mark).filter((entry) => !entry.query.startsWith('?sync='));
  assert.equal(requests, []);
  // The same run with --pin does reach it: the check above can see requests.
  const pinMark = markAccessLog(w.source);
  await runInProcess('rewrite', pinArgs(w, w.manifest));
  await syncAccessLog(w.source);
  assert.ok(accessLogSince(pinMark).some((entry) => entry.method === 'HEAD' && entry.path === '/v2/app/web/manifests/v1'));
});

test('the built CLI writes the same output', async () => {
  const w = await world.get();
  const built = await runCli(['rewrite', ...pinArgs(w, w.manifest)]);
  const inProcess = await runInProcess('rewrite', pinArgs(w, w.manifest));
  assert.is(built.code, 0, built.stderr);
  assert.is(built.stdout, inProcess.stdout);
  assert.is(built.stderr, inProcess.stderr);
});

test.run();
