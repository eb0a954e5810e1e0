/**
 * `scripts/smoke.sh --cluster` (scripts/smoke-cluster.sh) cannot run here (no
 * Docker engine, no cluster), so this checks what can be: both scripts parse
 * (`bash -n`), usage and exit statuses of the argument handling, and that
 * without kind/docker/kubectl on PATH the cluster mode refuses with a clear
 * message and exit 2 before touching anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = resolve(import.meta.dirname, '../..');
const SMOKE = join(ROOT, 'scripts/smoke.sh');
const CLUSTER = join(ROOT, 'scripts/smoke-cluster.sh');
const RENDER_DIR = join(ROOT, '.tmp/smoke-cluster');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync(file, [...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A directory holding only bash and a few coreutils: no kind, docker, kubectl or curl. */
function barePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-cluster-path-'));
  const tools = ['bash', 'env', 'dirname', 'cat', 'printf', 'rm', 'mkdir', 'sed', 'grep', 'head', 'tr', 'cut', 'date', 'sleep'];
  for (const tool of tools) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found.startsWith('/')) symlinkSync(found, join(dir, tool));
  }
  assert.ok(existsSync(join(dir, 'bash')), 'bash linked');
  return dir;
}

/** The environment of a bare machine: none of the cluster mode's settings. */
function bareEnv(path: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: path, HOME: path, LANG: 'C', ...extra };
}

const test = suite('scripts: smoke.sh --cluster');

let bin = '';
test.before(() => {
  bin = barePath();
});
test.after(() => {
  rmSync(bin, { recursive: true, force: true });
});

test('bash -n: both scripts parse', () => {
  for (const file of [SMOKE, CLUSTER]) {
    const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    assert.is(r.status, 0, `${file}: ${r.stderr}`);
  }
});

test('no kind, docker or kubectl: a clear refusal, exit 2, nothing created', () => {
  const existed = existsSync(RENDER_DIR);
  for (const [file, args] of [
    [CLUSTER, []],
    [SMOKE, ['--cluster']],
    [SMOKE, ['--cluster', '--keep']],
  ] as const) {
    const r = run(file, args, bareEnv(bin));
    assert.is(r.status, 2, `${file} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /missing required tool\(s\):/);
    for (const tool of ['kubectl', 'kind', 'docker']) assert.ok(r.stderr.includes(tool), `names ${tool}: ${r.stderr}`);
    assert.match(r.stderr, /IMAGE/);
    assert.not.match(r.stdout, /^ok /m);
  }
  if (!existed) assert.not.ok(existsSync(RENDER_DIR), 'no render directory left behind');
});

test('IMAGE set (no build, no Kind needed): only kubectl is required', () => {
  const r = run(CLUSTER, [], bareEnv(bin, { IMAGE: 'registry.example.com/tools/image-cloner:0.1.0', BACKUP_REGISTRY: 'registry.example.com/mirror' }));
  assert.is(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /missing required tool\(s\): kubectl\n/);
  assert.not.ok(/kind|docker/.test(r.stderr.split('\n')[0] ?? ''), r.stderr);
});

test('--help prints the usage, exit 0, even without the tools', () => {
  for (const [file, args] of [
    [CLUSTER, ['--help']],
    [CLUSTER, ['-h']],
    [SMOKE, ['--cluster', '--help']],
  ] as const) {
    const r = run(file, args, bareEnv(bin));
    assert.is(r.status, 0, `${file} ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /usage: scripts\/smoke\.sh --cluster \[--keep\]/);
    for (const word of ['IMAGE', 'BACKUP_REGISTRY', 'image-cloner-smoke', 'kind-registry', '--keep']) {
      assert.ok(r.stdout.includes(word), `usage mentions ${word}`);
    }
  }
  const top = run(SMOKE, ['--help'], bareEnv(bin));
  assert.is(top.status, 0, top.stderr);
  assert.match(top.stdout, /usage: scripts\/smoke\.sh /);
  assert.match(top.stdout, /--cluster \[--keep\]/);
});

test('an unknown argument: usage on stderr, exit 2', () => {
  const bogus = run(SMOKE, ['--bogus'], bareEnv(bin));
  assert.is(bogus.status, 2, bogus.stdout + bogus.stderr);
  assert.match(bogus.stderr, /unknown argument: --bogus/);
  assert.match(bogus.stderr, /usage: scripts\/smoke\.sh/);
  assert.is(bogus.stdout, '');

  const clusterBogus = run(SMOKE, ['--cluster', '--bogus'], bareEnv(bin));
  assert.is(clusterBogus.status, 2, clusterBogus.stdout + clusterBogus.stderr);
  assert.match(clusterBogus.stderr, /unknown argument: --bogus/);
  assert.match(clusterBogus.stderr, /usage: scripts\/smoke\.sh --cluster/);
});

test.run();
