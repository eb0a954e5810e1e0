/**
 * `image-cloner copy` successes, through the built CLI against real
 * registries: the --json summary, a re-copy that transfers nothing, a
 * same-registry copy by cross-repository mount, a platform filter, human
 * output on a non-TTY stderr, and token auth from an authfile. Every run
 * with an authfile is checked for printed credentials.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ensureBuiltCli, runCli } from '../helpers/built-cli.js';
import type { CliResult } from '../helpers/built-cli.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, makeSimpleImage, makeTwoPlatformIndex, MEDIA_TYPES, pushImage } from '../helpers/images.js';
import type { TestImage, TestIndex } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';
import { hasSkopeo, skopeoEndpointFor, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { assertNoSecrets, writeAuthFile } from './cli-fixtures.js';
import type { AuthFile } from './cli-fixtures.js';

interface Setup {
  readonly plain: TestRegistry;
  readonly basic: TestRegistry;
  readonly token: TestRegistry;
  readonly index: TestIndex;
  readonly image: TestImage;
  readonly auth: AuthFile;
  readonly dir: string;
}

const setup = lazyFixture<Setup>(
  async () => {
    const dir = makeTempDir('cli-copy');
    const started: TestRegistry[] = [];
    try {
      const [plain, basic, token] = await Promise.all([
        startRegistry({ auth: 'none' }),
        startRegistry({ auth: 'htpasswd' }),
        startRegistry({ auth: 'token' }),
        ensureBuiltCli(),
      ]);
      started.push(plain, basic, token);
      const index = await makeTwoPlatformIndex('oci', { seed: 'cli-copy' });
      const image = await makeSimpleImage('docker', { seed: 'cli-copy-human' });
      await pushImage(plain, 'src/multi', 'v1', index);
      await pushImage(plain, 'src/simple', 'v1', image);
      const auth = await writeAuthFile(
        dir,
        'config.json',
        [basic, token].map((r) => ({ host: r.host, username: r.username ?? '', password: r.password ?? '' })),
      );
      return { plain, basic, token, index, image, auth, dir };
    } catch (error) {
      await Promise.all(started.map((r) => r.stop()));
      await removeTempDir(dir);
      throw error;
    }
  },
  async (s) => {
    await Promise.all([s.plain.stop(), s.basic.stop(), s.token.stop()]);
    await removeTempDir(s.dir);
  },
);

const summarySchema = z.strictObject({
  source: z.string(),
  destination: z.string(),
  digest: z.string(),
  sourceDigest: z.string(),
  mediaType: z.string(),
  platforms: z.array(z.string()),
  filtered: z.boolean(),
  blobs: z.strictObject({ copied: z.number(), skipped: z.number(), mounted: z.number(), foreign: z.number() }),
  manifests: z.strictObject({ pushed: z.number(), present: z.number() }),
  referrers: z.strictObject({ copied: z.number(), present: z.number(), failed: z.number() }),
  bytes: z.number(),
  ms: z.number(),
});

/** Runs with the authfile and every CA, checks the run printed no secret, and parses the --json summary. */
async function copyJson(s: Setup, args: readonly string[]): Promise<{ result: CliResult; summary: z.infer<typeof summarySchema> }> {
  const result = await runCli([
    'copy', '--json', '--authfile', s.auth.file, '--ca-file', s.basic.caFile ?? '', '--insecure', s.plain.host, ...args,
  ]);
  assertNoSecrets(result, s.auth.secrets);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stderr, '', 'with --json, stderr stays empty');
  return { result, summary: summarySchema.parse(JSON.parse(result.stdout)) };
}

function distinctBlobs(index: TestIndex): Map<string, number> {
  const blobs = new Map<string, number>();
  for (const image of index.images) for (const b of [image.config, ...image.layers]) blobs.set(b.digest, b.size);
  return blobs;
}

const test = suite('copy CLI');
test.after(() => setup.dispose());

test('--json: a two-platform index to an htpasswd registry, then again with nothing to copy', async () => {
  const s = await setup.get();
  const src = `${s.plain.host}/src/multi:v1`;
  const dst = `${s.basic.host}/mirror/multi:v1`;
  const blobs = distinctBlobs(s.index);
  const { summary } = await copyJson(s, [src, dst]);
  assert.equal(summary, {
    source: `docker://${src}`,
    destination: `docker://${dst}`,
    digest: s.index.manifest.digest,
    sourceDigest: s.index.manifest.digest,
    mediaType: MEDIA_TYPES.ociIndex,
    platforms: ['linux/amd64', 'linux/arm64/v8'],
    filtered: false,
    blobs: { copied: blobs.size, skipped: 0, mounted: 0, foreign: 0 },
    manifests: { pushed: 3, present: 0 },
    referrers: { copied: 0, present: 0, failed: 0 },
    bytes: [...blobs.values()].reduce((a, b) => a + b, 0),
    ms: summary.ms,
  });
  assert.ok(summary.ms >= 0);
  const stored = await fetchManifest(s.basic, 'mirror/multi', 'v1');
  assert.ok(stored.bytes.equals(s.index.manifest.bytes), 'the index is copied byte for byte');
  if (hasSkopeo()) {
    const inspected = await skopeoInspectRaw(`docker://${dst}`, skopeoEndpointFor(s.basic));
    assert.is(inspected.digest, s.index.manifest.digest);
  }

  const again = await copyJson(s, [src, dst]);
  assert.is(again.summary.digest, s.index.manifest.digest);
  assert.equal(again.summary.blobs, { copied: 0, skipped: 0, mounted: 0, foreign: 0 });
  assert.equal(again.summary.manifests, { pushed: 0, present: 1 });
  assert.is(again.summary.bytes, 0);
});

test('--json: within one registry, blobs are mounted, not transferred', async () => {
  const s = await setup.get();
  await copyJson(s, [`${s.plain.host}/src/multi:v1`, `${s.basic.host}/mount/from:v1`]);
  const { summary } = await copyJson(s, [`${s.basic.host}/mount/from:v1`, `${s.basic.host}/mount/to:v2`]);
  assert.equal(summary.blobs, { copied: 0, skipped: 0, mounted: distinctBlobs(s.index).size, foreign: 0 });
  assert.is(summary.bytes, 0);
  assert.is(summary.digest, s.index.manifest.digest);
  assert.is((await fetchManifest(s.basic, 'mount/to', 'v2')).digest, s.index.manifest.digest);
});

test('--json --platform: a filtered index says so and has its own digest', async () => {
  const s = await setup.get();
  const { summary } = await copyJson(s, ['--platform', 'linux/arm64', `${s.plain.host}/src/multi:v1`, `${s.basic.host}/filtered/multi:v1`]);
  assert.is(summary.filtered, true);
  assert.equal(summary.platforms, ['linux/arm64/v8']);
  assert.is(summary.sourceDigest, s.index.manifest.digest);
  assert.is.not(summary.digest, s.index.manifest.digest);
  const stored = await fetchManifest(s.basic, 'filtered/multi', 'v1');
  assert.is(stored.digest, summary.digest);
  const arm = s.index.images[1];
  assert.equal(
    z.object({ manifests: z.array(z.object({ digest: z.string() })) }).parse(JSON.parse(stored.bytes.toString('utf8'))).manifests.map((m) => m.digest),
    [arm?.manifest.digest],
  );
});

test('human mode: plain progress lines on a non-TTY stderr, nothing on stdout', async () => {
  const s = await setup.get();
  const src = `${s.plain.host}/src/simple:v1`;
  const dst = `${s.basic.host}/human/simple:v1`;
  const result = await runCli(['copy', '--authfile', s.auth.file, '--ca-file', s.basic.caFile ?? '', '--insecure', s.plain.host, src, dst]);
  assertNoSecrets(result, s.auth.secrets);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, '');
  assert.not.match(result.stderr, /[\r\x1b]/, 'no carriage returns or escape sequences off a TTY');
  const short = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);
  const blobLines = [s.image.config, ...s.image.layers].map((b) => `blob ${short(b.digest)} uploaded (${b.size} B)`).sort();
  const lines = result.stderr.trimEnd().split('\n');
  assert.is(lines[0], `copying docker://${src} to docker://${dst}`);
  assert.equal(lines.slice(1, 3).sort(), blobLines);
  assert.is(lines[3], `manifest ${short(s.image.manifest.digest)} pushed`);
  assert.is(lines[4], `copied docker://${src} to docker://${dst}`);
  assert.is(lines[5], `  digest ${s.image.manifest.digest}`);
  const total = s.image.config.size + (s.image.layers[0]?.size ?? 0);
  assert.match(lines[6] ?? '', new RegExp(`^  platforms linux/amd64; 2 blobs copied, 0 already present; ${total} B in \\d+\\.\\d\\d s$`));
  assert.is(lines.length, 7, result.stderr);
});

test('token auth from an authfile: copies, and neither the password, the auth value nor a token is printed', async () => {
  const s = await setup.get();
  const server = s.token.tokenServer;
  if (server === undefined) throw new Error('token registry without token server');
  server.clearRequests();
  const dst = `${s.token.host}/mirror/simple:v1`;
  for (const json of [true, false]) {
    const result = await runCli([
      'copy', ...(json ? ['--json'] : []), '--authfile', s.auth.file, '--ca-file', s.token.caFile ?? '', '--insecure', s.plain.host,
      `${s.plain.host}/src/simple:v1`, dst,
    ]);
    assertNoSecrets(result, s.auth.secrets);
    assert.is(result.code, 0, result.stderr);
  }
  assert.ok(server.requests.length > 0 && server.requests.every((r) => r.status === 200 && r.username === s.token.username));
  assert.is((await fetchManifest(s.token, 'mirror/simple', 'v1')).digest, s.image.manifest.digest);
});

test.run();
