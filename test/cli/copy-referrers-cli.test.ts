/**
 * `image-cloner copy` and referrers, through the built CLI against real
 * registries: on by default (counted in --json), `--no-referrers` copies the
 * image alone, the human summary names them, and a referrer that fails is a
 * warning on stderr while the copy still succeeds.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { cosignSignatureTag, fallbackTag, hasManifest } from '../helpers/artifacts.js';
import { ensureBuiltCli, runCli } from '../helpers/built-cli.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, pushImage } from '../helpers/images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeSupplyChain, pushSupplyChain, type SupplyChain } from '../helpers/supply-chain.js';

interface Setup {
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
  readonly chain: SupplyChain;
}

const setup = lazyFixture<Setup>(
  async () => {
    const [source, backup] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'none' }), ensureBuiltCli()]);
    const chain = await makeSupplyChain('cli', `${source.host}/src/app`);
    await pushSupplyChain(source, 'src/app', 'v1', chain);
    return { source, backup, chain };
  },
  async (s) => {
    await Promise.all([s.source.stop(), s.backup.stop()]);
  },
);

const countsSchema = z.strictObject({ copied: z.number(), present: z.number(), failed: z.number() });
const summarySchema = z.looseObject({ digest: z.string(), referrers: countsSchema });

function cliArgs(s: Setup, ...rest: string[]): string[] {
  return ['copy', '--insecure', s.source.host, '--insecure', s.backup.host, ...rest];
}

const test = suite('copy CLI and referrers');
test.after(() => setup.dispose());

test('--json: referrers copied by default and counted', async () => {
  const s = await setup.get();
  const result = await runCli(cliArgs(s, '--json', s.source.ref('src/app', 'v1'), s.backup.ref('json/app', 'v1')));
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stderr, '');
  const summary = summarySchema.parse(JSON.parse(result.stdout));
  assert.equal(summary.referrers, { copied: 4, present: 0, failed: 0 });
  for (const artifact of s.chain.artifacts) {
    const fetched = await fetchManifest(s.backup, 'json/app', artifact.manifest.digest);
    assert.ok(fetched.bytes.equals(artifact.manifest.bytes));
  }
});

test('--no-referrers: the image alone', async () => {
  const s = await setup.get();
  const result = await runCli(cliArgs(s, '--json', '--no-referrers', s.source.ref('src/app', 'v1'), s.backup.ref('bare/app', 'v1')));
  assert.is(result.code, 0, result.stderr);
  assert.equal(summarySchema.parse(JSON.parse(result.stdout)).referrers, { copied: 0, present: 0, failed: 0 });
  assert.ok(await hasManifest(s.backup, 'bare/app', 'v1'), 'the image is there');
  const index = s.chain.index.manifest.digest;
  for (const ref of [fallbackTag(index), cosignSignatureTag(index), s.chain.sbom.manifest.digest]) {
    assert.is(await hasManifest(s.backup, 'bare/app', ref), false, ref);
  }
});

test('human summary names the referrers; a failed one is a warning and the copy succeeds', async () => {
  const s = await setup.get();
  const chain = await makeSupplyChain('cli-broken', `${s.source.host}/src/broken`);
  await pushSupplyChain(s.source, 'src/broken', 'v1', chain);
  // A fallback tag that holds no referrers index: its subject's referrers cannot be listed.
  await pushImage(s.source, 'src/broken', fallbackTag(chain.amd64.manifest.digest), chain.cosignSignature);
  const result = await runCli(cliArgs(s, s.source.ref('src/broken', 'v1'), s.backup.ref('human/app', 'v1')));
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stderr, /referrers: 3 copied, 0 already present, 1 FAILED/);
  assert.match(result.stderr, new RegExp(`warning: IC_ERR_BAD_MANIFEST: referrers of ${chain.amd64.manifest.digest}`));
});

test('--help lists --no-referrers', async () => {
  const result = await runCli(['copy', '--help']);
  assert.is(result.code, 0);
  assert.match(result.stdout, '--no-referrers');
});

test.run();
