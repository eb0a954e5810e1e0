/**
 * The end-to-end smoke run (scripts/smoke.sh): real registries on loopback,
 * the built CLI, skopeo as the second opinion. Exit 0 only if everything held.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchManifest, makeTwoPlatformIndex, pushImage } from '../test/helpers/images.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry-server.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../test/helpers/skopeo.js';
import { makeTempDir } from '../test/helpers/temp-dirs.js';

const cli = join(process.cwd(), 'dist', 'cli.js');
const started: TestRegistry[] = [];
let failures = 0;

function check(ok: boolean, what: string): void {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${what}\n`);
  if (!ok) failures++;
}

/** Async on purpose: the test token server runs in this process and must keep answering. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

try {
  const source = await startRegistry({ auth: 'none' });
  started.push(source);
  const backup = await startRegistry({ auth: 'token' });
  started.push(backup);
  process.stdout.write(`source registry  http://${source.host} (plain HTTP, anonymous)\n`);
  process.stdout.write(`backup registry  https://${backup.host} (TLS, token auth)\n\n`);

  const index = await makeTwoPlatformIndex('oci', { seed: `smoke-${Date.now()}` });
  await pushImage(source, 'library/alpine', '3.12', index);

  const dir = makeTempDir('smoke');
  const authfile = join(dir, 'config.json');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(authfile, JSON.stringify({ auths: { [backup.host]: { username: backup.username, password: backup.password } } }));
  writeFileSync(caFile, backup.caPem ?? '');

  const src = `docker://${source.host}/library/alpine:3.12`;
  const dst = `docker://${backup.host}/backup/${source.host.replace(':', '_')}/library/alpine:3.12`;
  const common = ['--authfile', authfile, '--ca-file', caFile, '--insecure', source.host];
  process.stdout.write(`$ image-cloner copy ${src} ${dst} --json\n`);
  const first = await run(['copy', src, dst, ...common, '--json']);
  process.stdout.write(first.stdout + first.stderr);
  check(first.status === 0, 'copy exits 0');
  const summary: unknown = first.status === 0 ? JSON.parse(first.stdout) : {};
  const digest = typeof summary === 'object' && summary !== null && 'digest' in summary ? summary.digest : undefined;
  check(digest === index.manifest.digest, `copied digest equals the source digest ${index.manifest.digest}`);

  const fetched = await fetchManifest(backup, `backup/${source.host.replace(':', '_')}/library/alpine`, '3.12');
  check(fetched.bytes.equals(index.manifest.bytes), 'backup holds the exact index bytes');
  const skopeo = await skopeoInspectRaw(dst.slice('docker://'.length), skopeoEndpointFor(backup));
  check(skopeo.digest === index.manifest.digest, 'skopeo inspect --raw on the backup agrees');

  const second = await run(['copy', src, dst, ...common, '--json']);
  const again: unknown = second.status === 0 ? JSON.parse(second.stdout) : {};
  const copied =
    typeof again === 'object' && again !== null && 'blobs' in again && typeof again.blobs === 'object' && again.blobs !== null && 'copied' in again.blobs
      ? again.blobs.copied
      : undefined;
  check(second.status === 0 && copied === 0, 'a second copy uploads nothing');

  const output = first.stdout + first.stderr + second.stdout + second.stderr;
  check(backup.password !== undefined && !output.includes(backup.password), 'no credential in any output');
} catch (error) {
  check(false, `smoke run: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await Promise.all(started.map((r) => r.stop()));
}

process.stdout.write(failures === 0 ? '\nsmoke: all checks passed\n' : `\nsmoke: ${failures} check(s) failed\n`);
process.exit(failures === 0 ? 0 : 1);
