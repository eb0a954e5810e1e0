/**
 * Lint-style checks of the Dockerfile and .dockerignore (no Docker engine
 * here to build with): multi-stage on one current Node.js LTS major; dev
 * dependencies never reach the runtime (`npm ci`, then `npm ci --omit=dev`
 * in a clean stage, never `npm install`); a distroless runtime with no shell,
 * hence no RUN, exec-form ENTRYPOINT/CMD that run `dist/cli.js serve`, and a
 * numeric non-root USER that the Deployment's runAsUser matches; a build
 * context that holds what the build copies and nothing else.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SERVE_NODE_FLAGS } from '../../bench/serve-node-flags.js';
import { DEFAULT_INSTALL } from './installs.js';
import { PROJECT_ROOT, at, one, podSpec, readRepoFile, webhookContainer } from './render.js';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly flags: readonly string[];
  readonly instructions: readonly Instruction[];
}

/** Instructions with continuation lines joined; comments and blank lines dropped. */
function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue;
    pending += `${pending === '' ? '' : ' '}${line.endsWith('\\') ? line.slice(0, -1).trim() : line}`;
    if (line.endsWith('\\')) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending);
    if (match === null) throw new Error(`cannot parse: ${pending}`);
    out.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '' });
    pending = '';
  }
  assert.is(pending, '', 'no dangling continuation');
  return out;
}

function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const instructions = parseInstructions(text);
  const globalArgs = new Map<string, string>();
  const stages: { image: string; name: string | undefined; flags: string[]; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const image = (rest[0] ?? '').replace(/\$\{(\w+)\}/g, (_, name: string) => {
        const value = globalArgs.get(name);
        assert.ok(value !== undefined, `FROM uses \${${name}}, declared with a default before the first FROM`);
        return value;
      });
      const hasName = rest.length === 3 && rest[1]?.toUpperCase() === 'AS';
      assert.ok(rest.length === 1 || hasName, `FROM ${instruction.args}`);
      stages.push({ image, name: hasName ? rest[2] : undefined, flags, instructions: [] });
    } else if (stages.length === 0) {
      assert.is(instruction.keyword, 'ARG', 'only ARG before the first FROM');
      const [name, value] = instruction.args.split('=');
      if (name !== undefined && value !== undefined) globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** A JSON-array (exec form) argument list; fails on the shell form. */
function execForm(instruction: Instruction | undefined, what: string): string[] {
  assert.ok(instruction !== undefined, `${what} is set`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(instruction.args);
  } catch {
    assert.unreachable(`${what} is in exec form (a JSON array), got: ${instruction.args}`);
  }
  assert.ok(Array.isArray(parsed) && parsed.every((p) => typeof p === 'string'), `${what}: a JSON array of strings`);
  return parsed as string[];
}

/** COPY arguments: flags, sources, destination. */
function copyParts(instruction: Instruction): { from: string | undefined; sources: string[]; destination: string } {
  const words = instruction.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  const destination = paths.pop();
  assert.ok(destination !== undefined && paths.length > 0, `COPY ${instruction.args}`);
  return { from, sources: paths, destination };
}

/**
 * .dockerignore as Docker reads it (moby patternmatcher): patterns in order,
 * the last one that matches a path or one of its parent directories decides,
 * `!` re-includes; `*` and `?` stay within a path segment, `**` spans them.
 */
function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => {
          if (part === '**/' || part === '**') return '(?:.*/)?' + (part === '**' ? '.*' : '');
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { negate, regex } of patterns) {
      if (prefixes.some((p) => regex.test(p))) excluded = !negate;
    }
    return excluded;
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(PROJECT_ROOT, join(entry.parentPath, entry.name)));
}

const { globalArgs, stages } = parseDockerfile(readRepoFile('Dockerfile'));
const runtime = stages.at(-1);
const excluded = dockerignore(readRepoFile('.dockerignore'));

const test = suite('Dockerfile and .dockerignore');

test('multi-stage: named build stages, then the runtime', () => {
  assert.ok(stages.length >= 3, `${stages.length} stages`);
  const names = stages.slice(0, -1).map((s) => s.name);
  assert.ok(names.every((n) => n !== undefined), 'every build stage is named');
  assert.is(new Set(names).size, names.length, 'stage names are unique');
});

test('one current Node.js LTS major for the build and the distroless runtime (no shell, not :debug)', () => {
  assert.ok(runtime !== undefined);
  const match = /^gcr\.io\/distroless\/nodejs(\d+)-debian(\d+):nonroot$/.exec(runtime.image);
  assert.ok(match, `runtime image ${runtime.image}`);
  const major = Number(match[1]);
  // Even majors are the LTS lines; 20 reached its end of life in April 2026, 22 is in maintenance.
  assert.ok(major >= 24 && major % 2 === 0, `Node.js ${major}`);
  for (const stage of stages.slice(0, -1)) {
    const node = /^node:(\d+)-/.exec(stage.image);
    assert.ok(node, `build stage ${stage.name ?? ''} on the official node image: ${stage.image}`);
    assert.is(Number(node[1]), major, `${stage.name ?? ''}: same Node.js major as the runtime`);
  }
  assert.ok(globalArgs.size > 0, 'the major is set once, as an ARG');
});

test('dependencies: npm ci only; the runtime gets node_modules from a clean --omit=dev stage', () => {
  const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => ({ stage: s, run: i.args })));
  for (const { run } of runs) {
    assert.not.match(run, /\bnpm\s+(install|i|add|update)\b/, `no npm install: ${run}`);
    assert.not.match(run, /\b(yarn|pnpm)\b/);
  }
  const build = runs.find(({ run }) => /\bnpm ci\b/.test(run) && !run.includes('--omit=dev'));
  assert.ok(build !== undefined, 'the build stage installs with npm ci');
  assert.ok(runs.some(({ stage, run }) => stage === build.stage && /\bnpm run build\b/.test(run)), 'and builds there');
  const production = runs.filter(({ run }) => /\bnpm ci\b.*--omit=dev/.test(run));
  assert.is(production.length, 1, 'one npm ci --omit=dev');
  const productionStage = production[0]?.stage;
  assert.ok(productionStage !== undefined && productionStage !== build.stage, 'in a stage of its own');
  assert.not.ok(
    productionStage.instructions.some((i) => i.keyword === 'COPY' && copyParts(i).from !== undefined),
    'a clean stage: nothing copied in from the build',
  );

  assert.ok(runtime !== undefined);
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map(copyParts);
  const modules = copies.filter((c) => c.sources.some((s) => s.includes('node_modules')));
  assert.equal(modules.map((c) => c.from), [productionStage.name], 'node_modules only from the --omit=dev stage');
});

test('the runtime holds only dist/, production node_modules and package.json, and runs nothing (no shell)', () => {
  assert.ok(runtime !== undefined);
  assert.not.ok(runtime.instructions.some((i) => i.keyword === 'RUN'), 'no RUN: distroless has no shell');
  assert.ok(runtime.instructions.some((i) => i.keyword === 'WORKDIR' && i.args === '/app'));
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => {
    assert.is(i.keyword, 'COPY', 'no ADD');
    return copyParts(i);
  });
  const stageNames = new Set(stages.map((s) => s.name));
  const copied = copies.map((c) => {
    if (c.from !== undefined) assert.ok(stageNames.has(c.from), `--from=${c.from} is a stage`);
    return `${c.from ?? 'context'}:${c.sources.join(',')}`;
  });
  const production = stages.find((s) => s.instructions.some((i) => i.args.includes('--omit=dev')))?.name ?? '';
  const build = stages.find((s) => s.instructions.some((i) => /\bnpm run build\b/.test(i.args)))?.name ?? '';
  assert.equal(copied.sort(), [`${build}:/app/dist`, `${production}:/app/node_modules`, 'context:package.json'].sort());
});

test('numeric non-root USER, the one the Deployment runs as', () => {
  assert.ok(runtime !== undefined);
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
  assert.ok(user !== undefined, 'USER is set in the runtime stage');
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  assert.ok(match, `numeric USER (runAsNonRoot cannot check a name): ${user}`);
  assert.ok(Number(match[1]) > 0 && Number(match[2] ?? 1) > 0, 'not root');
  const securityContext = podSpec(one(DEFAULT_INSTALL.objects(), 'Deployment', 'image-cloner'))['securityContext'];
  assert.is(at(securityContext, 'runAsUser'), Number(match[1]));
  assert.is(at(securityContext, 'runAsGroup'), Number(match[2]));
});

test('exec-form ENTRYPOINT node dist/cli.js, CMD serve; EXPOSE the webhook port', () => {
  for (const stage of stages) {
    for (const i of stage.instructions.filter((x) => x.keyword === 'ENTRYPOINT' || x.keyword === 'CMD')) {
      execForm(i, i.keyword);
    }
  }
  assert.ok(runtime !== undefined);
  const last = (keyword: string): Instruction | undefined => runtime.instructions.filter((i) => i.keyword === keyword).at(-1);
  assert.equal(execForm(last('ENTRYPOINT'), 'ENTRYPOINT'), ['/nodejs/bin/node', SERVE_NODE_FLAGS, '/app/dist/cli.js']);
  assert.equal(execForm(last('CMD'), 'CMD'), ['serve']);
  const container = webhookContainer(one(DEFAULT_INSTALL.objects(), 'Deployment', 'image-cloner'));
  assert.is(last('EXPOSE')?.args, String(at(container, 'ports', 0, 'containerPort')));
});

test('.dockerignore: the context holds what the build copies, and none of node_modules, .git, test, bench, .tmp', () => {
  for (const path of [
    'node_modules/undici/index.js',
    '.git/HEAD',
    'test/manifests/dockerfile.test.ts',
    'bench/copy.sh',
    '.tmp/note.md',
    'dist/cli.js',
    'manifests/kustomization.yaml',
    'node_trace.1.log',
    '.env',
  ]) {
    assert.ok(excluded(path), `${path} is excluded`);
  }
  const sources = stages.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'COPY').map(copyParts).filter((c) => c.from === undefined),
  );
  const needed = sources.flatMap((c) => c.sources).flatMap((s) => (s === 'src' ? filesUnder('src') : [s]));
  assert.ok(needed.includes('package-lock.json') && needed.includes('src/cli.ts'));
  for (const path of needed) assert.not.ok(excluded(path), `${path} is in the build context`);
});

test('the .dockerignore matcher itself', () => {
  const match = dockerignore('*\n!src\nsrc/**/*.test.ts\n# note\n/docs/\n');
  assert.ok(match('README.md'));
  assert.not.ok(match('src/a/b.ts'));
  assert.ok(match('src/a/b.test.ts'));
  assert.ok(match('docs/x.md'));
  const denyList = dockerignore('node_modules\n.git\n');
  assert.ok(denyList('node_modules/a/b.js'));
  assert.not.ok(denyList('src/node_modules_like.ts'));
});

test.run();
