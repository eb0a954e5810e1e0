/**
 * `node dist/cli.js serve` as a user runs it: configuration problems (all
 * reported, exit 2), then a real run wired to real registries (source over
 * plain HTTP, backup over TLS with htpasswd credentials from a docker
 * config.json and its CA from REGISTRY_CA_FILE): it answers health checks,
 * rewrites a Pod to a copy that exists in the backup, logs JSON lines
 * without credentials, and exits 0 on SIGTERM within its grace.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toBackupRef } from '../../src/core/backup-naming.js';
import { formatImageRef, parseImageRef } from '../../src/core/reference.js';
import { isRecord, reviewFor, valueAt } from '../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import { CLI_PATH, ensureBuiltCli, runCli } from '../helpers/built-cli.js';
import { lazyFixture } from '../helpers/fixture.js';
import { httpsRequest } from '../helpers/https-client.js';
import { fetchManifest, makeSimpleImage, pushImage } from '../helpers/images.js';
import { spawnManaged } from '../helpers/processes.js';
import type { ManagedProcess } from '../helpers/processes.js';
import { startRegistry } from '../helpers/registry-server.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { applyPatch } from '../core/apply-patch.js';
import { servicePki } from './webhook-harness.js';

const PATH_ONLY = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const record: unknown = JSON.parse(line);
      if (!isRecord(record)) throw new Error(`not a JSON object: ${line}`);
      assert.type(record.time, 'string');
      assert.type(record.level, 'string');
      assert.type(record.msg, 'string');
      return record;
    });
}

async function runServe(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  await ensureBuiltCli();
  const child = spawnManaged(process.execPath, [CLI_PATH, 'serve'], { env: { ...PATH_ONLY, ...env }, name: 'serve' });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 20_000)));
  const exit = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (exit === undefined) {
    await child.stop();
    throw new Error(`serve did not exit: ${child.output()}`);
  }
  return { code: exit.code, output: child.output() };
}

const startup = suite('serve: startup problems');

startup('no configuration: exit 2, the required variables named on stderr as one JSON line', async () => {
  const result = await runCli(['serve']);
  assert.is(result.code, 2, result.stderr);
  assert.is(result.stdout, '');
  const records = jsonLines(result.stderr);
  assert.is(records.length, 1);
  assert.is(records[0]?.msg, 'invalid configuration');
  const problems = records[0]?.problems;
  if (!Array.isArray(problems)) throw new Error('no problems list');
  assert.is(problems.length, 2);
  for (const start of ['BACKUP_REGISTRY: required', 'TLS_CERT_FILE/TLS_KEY_FILE: required outside Kubernetes']) {
    assert.ok(problems.some((p) => typeof p === 'string' && p.startsWith(start)), start);
  }
});

startup('bad files: every unreadable or invalid file reported together, exit 2', async () => {
  const dir = makeTempDir('serve-files');
  const auth = join(dir, 'config.json');
  await writeFile(auth, '{"auths": ');
  const { code, output } = await runServe({
    BACKUP_REGISTRY: 'backup.example:5000',
    TLS_CERT_FILE: join(dir, 'missing.crt'),
    TLS_KEY_FILE: join(dir, 'missing.key'),
    REGISTRY_AUTH_FILE: auth,
    REGISTRY_CA_FILE: join(dir, 'missing-ca.pem'),
  });
  assert.is(code, 2, output);
  const problems = jsonLines(output)[0]?.problems;
  if (!Array.isArray(problems)) throw new Error(output);
  assert.is(problems.length, 3, output);
  assert.match(String(problems), /TLS_CERT_FILE\/TLS_KEY_FILE: cannot read \(ENOENT\)/);
  assert.match(String(problems), /REGISTRY_AUTH_FILE/);
  assert.match(String(problems), /REGISTRY_CA_FILE .*missing-ca\.pem: cannot read \(ENOENT\)/);
});

startup('an argument: exit 2; --help: usage, exit 0', async () => {
  assert.is((await runCli(['serve', 'now'])).code, 2);
  const help = await runCli(['serve', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /usage: image-cloner serve/);
  assert.match((await runCli(['--help'])).stdout, /serve +run the mutating admission webhook/);
});

interface Running {
  readonly serve: ManagedProcess;
  readonly port: number;
  readonly ca: string;
  readonly password: string;
  readonly authText: string;
  readonly source: string;
  readonly expected: string;
  readonly backup: Awaited<ReturnType<typeof startRegistry>>;
  readonly backupRepo: string;
  stop(): Promise<void>;
}

const running = lazyFixture<Running>(
  async () => {
    const [pki, src, backup] = await Promise.all([servicePki(), startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd' })]);
    const image = await makeSimpleImage('oci', { seed: 'serve-process' });
    await pushImage(src, 'lib/app', '1.0', image);
    const dir = makeTempDir('serve-run');
    const password = backup.password ?? '';
    const authText = Buffer.from(`${backup.username ?? ''}:${password}`).toString('base64');
    const authFile = join(dir, '.dockerconfigjson');
    await writeFile(authFile, JSON.stringify({ auths: { [backup.host]: { auth: authText } } }));
    await ensureBuiltCli();
    const serve = spawnManaged(process.execPath, [CLI_PATH, 'serve'], {
      name: 'serve',
      env: {
        ...PATH_ONLY,
        BACKUP_REGISTRY: `${backup.host}/mirror`,
        TLS_CERT_FILE: pki.server.certFile,
        TLS_KEY_FILE: pki.server.keyFile,
        PORT: '0',
        REGISTRY_AUTH_FILE: authFile,
        REGISTRY_CA_FILE: backup.caFile ?? '',
        INSECURE_REGISTRIES: src.host,
        SHUTDOWN_GRACE_SECONDS: '5',
        LOG_LEVEL: 'debug',
      },
    });
    const match = await serve.waitForLine(/"msg":"listening".*"port":(\d+)/, 15_000);
    const source = src.ref('lib/app', '1.0');
    const target = toBackupRef(parseImageRef(source), { registry: backup.host, prefix: 'mirror', layout: 'nested' });
    return {
      serve,
      port: Number(match[1]),
      ca: pki.ca.certPem,
      password,
      authText,
      source,
      expected: formatImageRef({ ...target, digest: image.manifest.digest }),
      backup,
      backupRepo: target.path,
      stop: async () => {
        await serve.stop(10_000);
        await Promise.all([src.stop(), backup.stop()]);
      },
    };
  },
  (r) => r.stop(),
);

const run = suite('serve: a running webhook');
run.after(() => running.dispose());

run('listening on the port it logs; healthz and readyz answer', async () => {
  const r = await running.get();
  assert.ok(r.port > 0);
  const target = { port: r.port, ca: r.ca };
  assert.is((await httpsRequest(target, { path: '/healthz' })).status, 200);
  assert.is((await httpsRequest(target, { path: '/readyz' })).status, 200);
});

run('a Pod is rewritten to its copy, which exists in the backup with the same digest', async () => {
  const r = await running.get();
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'web', image: r.source }] },
  };
  for (let i = 0; i < 2; i++) {
    const res = await httpsRequest(
      { port: r.port, ca: r.ca },
      {
        method: 'POST',
        path: '/mutate?timeout=10s',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(reviewFor(pod, { uid: `serve-${i}` })),
      },
    );
    assert.is(res.status, 200, res.body);
    const got = readAdmissionResponse(res.body);
    assert.is(got.uid, `serve-${i}`);
    assert.equal(got.warnings, [], 'the copy finished within the budget');
    if (got.patch === undefined) throw new Error('no patch');
    assert.is(valueAt(applyPatch(pod, got.patch), '/spec/containers/0/image'), r.expected);
  }
  const copied = await fetchManifest(r.backup, r.backupRepo, '1.0');
  assert.is(`${r.expected.split('@')[1]}`, copied.digest);
  const metrics = await httpsRequest({ port: r.port, ca: r.ca }, { path: '/metrics' });
  assert.match(metrics.body, /^image_cloner_admissions_total\{outcome="patched"\} 2$/m);
  assert.match(metrics.body, /^image_cloner_copies_finished_total\{registry="127\.0\.0\.1:\d+",outcome="copied"\} 1$/m);
  assert.match(metrics.body, /^image_cloner_cache_hits_total [1-9]/m);
  assert.match(metrics.body, /^process_cpu_user_seconds_total /m);
});

run('SIGTERM: exit status 0 within the grace; every line JSON; no credential anywhere', async () => {
  const r = await running.get();
  const started = Date.now();
  const exit = await r.serve.stop(10_000);
  assert.is(exit.code, 0, r.serve.output());
  assert.is(exit.signal, null);
  assert.ok(Date.now() - started < 6_000, `${Date.now() - started} ms`);
  const output = r.serve.output();
  if (process.env['SHOW_SERVE_LOG'] !== undefined) process.stdout.write(output);
  const records = jsonLines(output);
  const messages = records.map((record) => record.msg);
  for (const msg of ['listening', 'admission', 'copy finished', 'shutting down', 'stopped']) assert.ok(messages.includes(msg), msg);
  assert.not.ok(output.includes(r.password), 'no password');
  assert.not.ok(output.includes(r.authText), 'no auth string');
  assert.not.match(output, /authorization|Basic [A-Za-z0-9+/=]{8,}/i);
});

startup.run();
run.run();
