/**
 * `image-cloner sync` copies each image's supply chain (signatures, SBOMs,
 * a referrer's referrer, a cosign tag) with it, between real registries
 * (2.8.2, no referrers API: the fallback tag schema both ways; mirror-world.ts),
 * byte-exact, and counts them in the table. `--no-referrers` and
 * `COPY_REFERRERS=false` copy the image alone, and the flag wins over the
 * variable. A referrer the source will not serve (the fault proxy answers its
 * manifest with a 404, as after it was deleted) is a warning on stderr: the
 * image counts as copied and the exit status stays 0.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cosignSignatureTag, fallbackTag, hasManifest } from '../helpers/artifacts.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest } from '../helpers/images.js';
import { expectedBackupRepo, startMirrorWorld, type MirrorWorld } from '../helpers/mirror-world.js';
import { makeSupplyChain, pushSupplyChain, type SupplyChain } from '../helpers/supply-chain.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { runInProcess, type RunResult } from '../manifest-files/manifest-harness.js';

interface World extends MirrorWorld {
  readonly dir: string;
  /** Plain HTTP, in front of `source`: only the fault test adds rules. */
  readonly proxy: FaultProxy;
}

const world = lazyFixture<World>(
  async () => {
    const mirror = await startMirrorWorld();
    try {
      const proxy = await startFaultProxy({ upstream: mirror.source });
      return { ...mirror, proxy, dir: makeTempDir('sync-referrers') };
    } catch (error) {
      await mirror.stop();
      throw error;
    }
  },
  async (w) => {
    await w.proxy.stop();
    await w.stop();
    await removeTempDir(w.dir);
  },
);

const test = suite('sync copies referrers with each image');
test.after(() => world.dispose());

interface Prepared {
  readonly w: World;
  readonly chain: SupplyChain;
  /** The image's backup repository. */
  readonly repo: string;
  /** A manifest naming `repo:v1` through the proxy. */
  readonly file: string;
}

async function prepared(repo: string): Promise<Prepared> {
  const w = await world.get();
  const chain = await makeSupplyChain(repo, `${w.proxy.host}/${repo}`);
  await pushSupplyChain(w.source, repo, 'v1', chain);
  const file = join(w.dir, `${repo.replaceAll('/', '-')}.yaml`);
  writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: "${w.proxy.host}/${repo}:v1"}\n`);
  return { w, chain, repo: expectedBackupRepo({ host: w.proxy.host, repo }), file };
}

async function sync(p: Prepared, flags: readonly string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
  const { w } = p;
  const args = ['--backup', w.backup.host, '--authfile', w.authFile, '--ca-file', w.backup.caFile ?? '', '--insecure', w.proxy.host];
  return runInProcess('sync', [...args, ...flags, '-f', p.file], { env });
}

/** The single row's STATUS and REFERRERS cells, after checking the header. */
function statusAndReferrers(stdout: string): [string | undefined, string | undefined] {
  const [header, row, ...rest] = stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/));
  assert.equal(header, ['IMAGE', 'BACKUP', 'DIGEST', 'STATUS', 'BYTES', 'SECONDS', 'REFERRERS']);
  assert.equal(rest, [], 'one image, one row');
  return [row?.[3], row?.[6]];
}

async function assertImageAlone(p: Prepared): Promise<void> {
  const { w, chain, repo } = p;
  assert.is((await fetchManifest(w.backup, repo, 'v1')).digest, chain.index.manifest.digest, 'the image is copied');
  for (const artifact of chain.artifacts) assert.is(await hasManifest(w.backup, repo, artifact.manifest.digest), false, 'no referrer');
  assert.is(await hasManifest(w.backup, repo, fallbackTag(chain.index.manifest.digest)), false, 'no fallback tag');
  assert.is(await hasManifest(w.backup, repo, cosignSignatureTag(chain.index.manifest.digest)), false, 'no cosign tag');
}

test('a sync copies the image and its referrers byte-exact and counts them', async () => {
  const p = await prepared('signed/on');
  const { w, chain, repo } = p;
  const result = await sync(p);
  assert.is(result.code, 0, result.stderr);
  assert.equal(statusAndReferrers(result.stdout), ['copied', '4 copied']);
  assert.match(result.stderr, /, referrers: 4 copied\)\n/);
  assert.not.match(result.stderr, /warning/);

  assert.is((await fetchManifest(w.backup, repo, 'v1')).digest, chain.index.manifest.digest);
  for (const artifact of chain.artifacts) {
    const fetched = await fetchManifest(w.backup, repo, artifact.manifest.digest);
    assert.ok(fetched.bytes.equals(artifact.manifest.bytes), `byte-exact ${artifact.manifest.digest}`);
  }
  const fallback = await fetchManifest(w.backup, repo, fallbackTag(chain.index.manifest.digest));
  const listed = (JSON.parse(fallback.bytes.toString('utf8')) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);
  assert.equal(listed, [chain.sbom.manifest.digest], 'the fallback tag index lists the SBOM');
  const signature = await fetchManifest(w.backup, repo, cosignSignatureTag(chain.index.manifest.digest));
  assert.is(signature.digest, chain.cosignSignature.manifest.digest, 'the cosign tag names the same signature');

  // The image is present now: the webhook's path skips it, referrers included ('-': not looked for).
  const again = await sync(p);
  assert.is(again.code, 0, again.stderr);
  assert.equal(statusAndReferrers(again.stdout), ['present', '-']);
});

test('--no-referrers copies the image alone, even with COPY_REFERRERS=true', async () => {
  const p = await prepared('signed/flag');
  const result = await sync(p, ['--no-referrers'], { COPY_REFERRERS: 'true' });
  assert.is(result.code, 0, result.stderr);
  assert.equal(statusAndReferrers(result.stdout), ['copied', '-']);
  assert.not.match(result.stderr, /referrers/);
  await assertImageAlone(p);
});

test('COPY_REFERRERS=false in the environment copies the image alone; a bad value is a usage error', async () => {
  const p = await prepared('signed/env');
  const result = await sync(p, [], { COPY_REFERRERS: 'false' });
  assert.is(result.code, 0, result.stderr);
  assert.equal(statusAndReferrers(result.stdout), ['copied', '-']);
  await assertImageAlone(p);
  const bad = await sync(p, [], { COPY_REFERRERS: 'maybe' });
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--no-referrers \(COPY_REFERRERS\): must be true or false/);
});

test('a referrer the source will not serve: a warning, the image copied, exit 0', async () => {
  const p = await prepared('signed/broken');
  const { w, chain, repo } = p;
  const sbom = chain.sbom.manifest.digest;
  // The client writes the digest's colon percent-encoded in the path.
  const rule = w.proxy.addRule({ method: ['GET', 'HEAD'], path: new RegExp(`/manifests/sha256(:|%3A)${sbom.slice('sha256:'.length)}$`, 'i'), action: { kind: 'status', status: 404 } });
  try {
    const result = await sync(p);
    assert.is(result.code, 0, result.stderr);
    assert.ok(rule.hits > 0, 'the fault fired');
    // The SBOM fails (and so its own signature is never reached); the platform signature and the cosign tag arrive.
    assert.equal(statusAndReferrers(result.stdout), ['copied', '2 copied, 1 failed']);
    const warning = new RegExp(`image-cloner: warning: ${escape(w.proxy.host)}/signed/broken:v1: referrers: 1 not copied \\(the image itself is in the backup\\): .*${sbom}`);
    assert.match(result.stderr, warning);
    assert.not.match(result.stderr, /images failed/);
    assert.is((await fetchManifest(w.backup, repo, 'v1')).digest, chain.index.manifest.digest);
    assert.ok(await hasManifest(w.backup, repo, chain.platformSignature.manifest.digest), 'the other referrers still arrive');
    assert.is(await hasManifest(w.backup, repo, sbom), false);
  } finally {
    rule.remove();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test.run();
