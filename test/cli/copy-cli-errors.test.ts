/**
 * `image-cloner copy` failures, through the built CLI against real
 * registries (and the fault proxy where a registry cannot misbehave on its
 * own): each class of failure exits 1 with exactly one stderr line
 * `image-cloner: <message naming the image> [IC_ERR_...]`, prints nothing on
 * stdout, leaves no tag behind, and never prints a credential.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_BACKOFF } from '../../src/core/backoff.js';
import { ensureBuiltCli, runCli } from '../helpers/built-cli.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { blobExists, makeSimpleImage, pushImage } from '../helpers/images.js';
import type { TestImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { assertNoSecrets, assertOneErrorLine, closedPort, manifestStatus, writeAuthFile } from './cli-fixtures.js';
import type { AuthFile } from './cli-fixtures.js';

interface Setup {
  readonly plain: TestRegistry;
  readonly basic: TestRegistry;
  readonly token: TestRegistry;
  readonly proxy: FaultProxy;
  readonly image: TestImage;
  readonly good: AuthFile;
  readonly wrong: AuthFile;
  readonly dir: string;
}

const setup = lazyFixture<Setup>(
  async () => {
    const dir = makeTempDir('cli-errors');
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const [plain, basic, token] = await Promise.all([
        startRegistry({ auth: 'none' }),
        startRegistry({ auth: 'htpasswd' }),
        startRegistry({ auth: 'token' }),
        ensureBuiltCli(),
      ]);
      started.push(plain, basic, token);
      const proxy = await startFaultProxy({ upstream: plain });
      started.push(proxy);
      const image = await makeSimpleImage('oci', { seed: 'cli-errors' });
      await Promise.all([plain, basic, token].map((r) => pushImage(r, 'src/simple', 'v1', image)));
      const entries = [basic, token].map((r) => ({ host: r.host, username: r.username ?? '', password: r.password ?? '' }));
      const good = await writeAuthFile(dir, 'good.json', entries);
      const wrong = await writeAuthFile(dir, 'wrong.json', entries.map((e) => ({ ...e, password: `${e.password}-wrong` })));
      return { plain, basic, token, proxy, image, good, wrong, dir };
    } catch (error) {
      await Promise.all(started.map((s) => s.stop()));
      await removeTempDir(dir);
      throw error;
    }
  },
  async (s) => {
    await s.proxy.stop();
    await Promise.all([s.plain.stop(), s.basic.stop(), s.token.stop()]);
    await removeTempDir(s.dir);
  },
);

/** Every secret of both authfiles: a refused password must not be printed either. */
function allSecrets(s: Setup): string[] {
  return [...s.good.secrets, ...s.wrong.secrets];
}

const test = suite('copy CLI failures');
test.after(() => setup.dispose());

test('unknown tag and unknown repository: IC_ERR_NOT_FOUND naming the image', async () => {
  const s = await setup.get();
  for (const source of [`${s.plain.host}/src/simple:no-such-tag`, `${s.plain.host}/no/such-repo:v1`]) {
    const result = await runCli(['copy', '--json', '--insecure', s.plain.host, source, `${s.plain.host}/dst/not-found:v1`]);
    assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_NOT_FOUND', mentions: [source] });
  }
  assert.is(await manifestStatus(s.plain, 'dst/not-found', 'v1'), 404);
});

test('an unknown tag in human mode: progress lines, then the one error line last', async () => {
  const s = await setup.get();
  const source = `${s.plain.host}/src/simple:no-such-tag`;
  const result = await runCli(['copy', '--insecure', s.plain.host, source, `${s.plain.host}/dst/not-found:v1`]);
  assert.is(result.code, 1);
  assert.is(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('image-cloner: ')).length, 1, result.stderr);
  assert.ok(lines.at(-1)?.startsWith('image-cloner: ') === true && lines.at(-1)?.endsWith(' [IC_ERR_NOT_FOUND]') === true, result.stderr);
  assert.ok(lines.at(-1)?.includes(source), result.stderr);
});

test('bad references: IC_ERR_BAD_REFERENCE, exit 1 (a data error, not usage), before any network call', async () => {
  const port = await closedPort();
  const cases: Array<[string, string, string]> = [
    [`127.0.0.1:${port}/Upper/Case:v1`, `127.0.0.1:${port}/dst:v1`, `127.0.0.1:${port}/Upper/Case:v1`],
    [`127.0.0.1:${port}/src:v1`, `127.0.0.1:${port}/dst:-bad-tag`, `127.0.0.1:${port}/dst:-bad-tag`],
    [`127.0.0.1:${port}/src@sha256:1234`, `127.0.0.1:${port}/dst:v1`, `127.0.0.1:${port}/src@sha256:1234`],
  ];
  for (const [src, dst, named] of cases) {
    const result = await runCli(['copy', '--json', src, dst]);
    assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_BAD_REFERENCE', mentions: [`"${named}"`] });
  }
});

test('usage errors exit 2 with IC_ERR_USAGE', async () => {
  const s = await setup.get();
  const result = await runCli(['copy', '--json', '--jobs', '0', `${s.plain.host}/src/simple:v1`, `${s.plain.host}/dst/u:v1`]);
  assertOneErrorLine(result, { exit: 2, code: 'IC_ERR_USAGE', mentions: ['--jobs'] });
  const missing = await runCli(['copy', `${s.plain.host}/src/simple:v1`]);
  assert.is(missing.code, 2);
  assert.ok(missing.stderr.startsWith('image-cloner: copy: expected SRC and DST, got 1 arguments\n'), missing.stderr);
});

test('auth refused: wrong password (Basic and token) and no credentials give IC_ERR_UNAUTHORIZED', async () => {
  const s = await setup.get();
  const runs: Array<{ args: string[]; named: string }> = [
    // Source refuses the password from the authfile.
    { args: ['--authfile', s.wrong.file, '--ca-file', s.basic.caFile ?? ''], named: `${s.basic.host}/src/simple:v1` },
    // The token server refuses it.
    { args: ['--authfile', s.wrong.file, '--ca-file', s.token.caFile ?? ''], named: `${s.token.host}/src/simple:v1` },
    // No credentials at all for an htpasswd registry.
    { args: ['--ca-file', s.basic.caFile ?? ''], named: `${s.basic.host}/src/simple:v1` },
  ];
  for (const run of runs) {
    const result = await runCli(['copy', '--json', '--insecure', s.plain.host, ...run.args, run.named, `${s.plain.host}/dst/unauthorized:v1`]);
    assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_UNAUTHORIZED', mentions: [run.named] });
    assertNoSecrets(result, allSecrets(s));
  }
  // The destination refuses: nothing may be written, and the tag stays absent.
  const dst = `${s.basic.host}/dst/unauthorized:v1`;
  const result = await runCli([
    'copy', '--json', '--insecure', s.plain.host, '--authfile', s.wrong.file, '--ca-file', s.basic.caFile ?? '',
    `${s.plain.host}/src/simple:v1`, dst,
  ]);
  assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_UNAUTHORIZED', mentions: [`${s.basic.host}/dst/unauthorized`] });
  assertNoSecrets(result, allSecrets(s));
  assert.is(await manifestStatus(s.basic, 'dst/unauthorized', 'v1'), 404);
  assert.is(await manifestStatus(s.plain, 'dst/unauthorized', 'v1'), 404);
});

test('a token registry that grants pull but not push: IC_ERR_UNAUTHORIZED, and no issued token is printed', async () => {
  const s = await setup.get();
  const server = s.token.tokenServer;
  if (server === undefined) throw new Error('token registry without token server');
  const original = server.settings().policy;
  server.setPolicy((who, requested, anonymous) => original(who, requested, anonymous).filter((a) => a === 'pull'));
  try {
    server.clearRequests();
    const dst = `${s.token.host}/dst/pull-only:v1`;
    const result = await runCli([
      'copy', '--json', '--insecure', s.plain.host, '--authfile', s.good.file, '--ca-file', s.token.caFile ?? '',
      `${s.plain.host}/src/simple:v1`, dst,
    ]);
    assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_UNAUTHORIZED', mentions: [`${s.token.host}/dst/pull-only`] });
    assertNoSecrets(result, allSecrets(s));
    // Tokens were issued (so there was something to leak).
    assert.ok(server.requests.some((r) => r.status === 200), 'the token server issued no token');
  } finally {
    server.setPolicy(original);
  }
  assert.is(await manifestStatus(s.token, 'dst/pull-only', 'v1'), 404);
});

test('TLS: no --ca-file, or an unrelated CA, gives IC_ERR_TLS', async () => {
  const s = await setup.get();
  const source = `${s.basic.host}/src/simple:v1`;
  const otherCa = s.basic.pki?.otherCa.certFile ?? '';
  for (const caArgs of [[], ['--ca-file', otherCa]]) {
    const result = await runCli(['copy', '--json', '--authfile', s.good.file, ...caArgs, '--insecure', s.plain.host, source, `${s.plain.host}/dst/tls:v1`]);
    assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_TLS', mentions: [source] });
    assertNoSecrets(result, allSecrets(s));
  }
});

/** A Docker schema 1 signed manifest, as old registries still serve (the signature is made up). */
const SCHEMA1 = JSON.stringify(
  {
    schemaVersion: 1,
    name: 'legacy/app',
    tag: 'v1',
    architecture: 'amd64',
    fsLayers: [{ blobSum: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4' }],
    history: [{ v1Compatibility: '{"id":"e9b1c1f2","created":"2016-01-01T00:00:00Z","os":"linux"}' }],
    signatures: [
      {
        header: { jwk: { crv: 'P-256', kid: 'TEST:KEY0', kty: 'EC', x: 'eA', y: 'eQ' }, alg: 'ES256' },
        signature: 'c2lnbmF0dXJl',
        protected: 'eyJmb3JtYXRMZW5ndGgiOjEwLCJmb3JtYXRUYWlsIjoiQ24wIn0',
      },
    ],
  },
  null,
  3,
);

test('a schema 1 manifest: IC_ERR_SCHEMA1, nothing pushed', async () => {
  const s = await setup.get();
  s.proxy.addRule({
    method: 'GET',
    path: /^\/v2\/legacy\/app\/manifests\/v1$/,
    action: {
      kind: 'respond',
      status: 200,
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
      body: SCHEMA1,
    },
  });
  const source = s.proxy.ref('legacy/app', 'v1');
  const result = await runCli(['copy', '--json', '--insecure', s.proxy.host, '--insecure', s.plain.host, source, `${s.plain.host}/dst/legacy:v1`]);
  assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_SCHEMA1', mentions: [source, 'schema 1'] });
  assert.is(s.proxy.requestsTo('GET', /^\/v2\/legacy\/app\/manifests\/v1$/).length, 1);
  assert.is(await manifestStatus(s.plain, 'dst/legacy', 'v1'), 404);
});

test('a layer corrupted on every GET: IC_ERR_DIGEST_MISMATCH after the retries; no tag, no manifest, no layer', async () => {
  const s = await setup.get();
  const layer = s.image.layers[0]?.digest ?? '';
  const layerPath = new RegExp(`^/v2/src/simple/blobs/${layer}$`);
  s.proxy.clearRequests();
  const rule = s.proxy.addRule({ method: 'GET', path: layerPath, action: { kind: 'flip-byte', offset: 10 } });
  const source = s.proxy.ref('src/simple', 'v1');
  const result = await runCli(['copy', '--json', '--insecure', s.proxy.host, '--insecure', s.plain.host, source, `${s.plain.host}/dst/corrupt:v1`]);
  rule.remove();
  const line = assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_DIGEST_MISMATCH', mentions: [source, layer] });
  assert.is(s.proxy.requestsTo('GET', layerPath).length, DEFAULT_BACKOFF.maxAttempts, line);
  assert.is(await manifestStatus(s.plain, 'dst/corrupt', 'v1'), 404);
  assert.is(await manifestStatus(s.plain, 'dst/corrupt', s.image.manifest.digest), 404);
  assert.is(await blobExists(s.plain, 'dst/corrupt', layer), false);
});

test('an unreachable registry: IC_ERR_UNREACHABLE, fast', async () => {
  const port = await closedPort();
  for (const insecure of [true, false]) {
    const source = `127.0.0.1:${port}/src/simple:v1`;
    const result = await runCli(['copy', '--json', ...(insecure ? ['--insecure', `127.0.0.1:${port}`] : []), source, `127.0.0.1:${port}/dst:v1`]);
    assertOneErrorLine(result, { exit: 1, code: 'IC_ERR_UNREACHABLE', mentions: [source] });
    assert.ok(result.ms < 15_000, `took ${result.ms} ms`);
  }
});

test.run();
