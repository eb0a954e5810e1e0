/**
 * Property tests of the naming policy, on a seeded generator (no new
 * dependency): for both layouts, the backup name always parses as a
 * canonical reference, and it decodes back to its source, which proves that
 * distinct source repositories never share a backup repository. The
 * generator draws from tiny alphabets so that near-collisions (hyphen runs,
 * "_" vs "__", ports, IPv6) are frequent; a Map of every name seen checks
 * distinctness directly as well.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backupRepositoryPath, parseBackupNaming } from '../../src/core/backup-naming.js';
import type { BackupNaming } from '../../src/core/backup-naming.js';
import { formatImageRef, parseImageRef } from '../../src/core/reference.js';
import type { ImageRef } from '../../src/core/reference.js';

const SEED = 0x1c_0ffee;
const CASES = 20_000;

/** mulberry32: small, seeded, good enough to spread cases. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const next = random(seed);
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => {
    const item = items[int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  };
  const run = (alphabet: string, min: number, max: number): string =>
    Array.from({ length: min + int(max - min + 1) }, () => pick([...alphabet])).join('');

  const label = (): string => (int(3) === 0 ? run('ab1', 1, 2) : `${run('ab1', 1, 2)}${run('-', 1, 3)}${run('ab1', 1, 2)}`);
  const host = (): string => {
    switch (int(5)) {
      case 0:
        return 'localhost';
      case 1:
        return `${int(3)}.${int(3)}.${int(3)}.${int(3)}`;
      case 2:
        return `[${run('0aA:', 1, 6)}]`;
      default: {
        const labels = Array.from({ length: 2 + int(2) }, label);
        const name = labels.join('.');
        return int(4) === 0 ? name.toUpperCase() : name;
      }
    }
  };
  const domain = (): string => (int(2) === 0 ? host() : `${host()}:${run('05', 1, 3)}`);
  const component = (): string => {
    let out = run('ab1', 1, 2);
    for (let i = int(3); i > 0; i -= 1) out += pick(['.', '_', '__', '-', '--', '---']) + run('ab1', 1, 2);
    return out;
  };
  const path = (): string => Array.from({ length: 1 + int(3) }, component).join('/');
  return { domain, path };
}

/** A generated repository, if parseImageRef reads its first component as the registry. */
function sourceOf(domain: string, path: string): ImageRef | undefined {
  try {
    const ref = parseImageRef(`${domain}/${path}`);
    return ref.domain === domain && ref.path === path ? ref : undefined;
  } catch {
    return undefined;
  }
}

/** The inverse of encodeDomainComponent: decoding proves the encoding injective. */
function decodeDomain(component: string): string {
  const ipv6 = component.startsWith('ipv6__');
  const parts = (ipv6 ? component.slice('ipv6__'.length) : component).split('_');
  assert.ok(parts.length <= 2, `one port marker at most in ${component}`);
  const [host = '', port] = parts;
  const decodedHost = ipv6 ? `[${host.replaceAll('x', ':')}]` : host;
  return port === undefined ? decodedHost : `${decodedHost}:${port}`;
}

/** Backup path -> "domain/path" of the source (domain lowercased: hosts are case-insensitive). */
function decode(backupPath: string, naming: BackupNaming): string {
  const rest = backupPath.slice(naming.prefix === undefined ? 0 : naming.prefix.length + 1);
  const joined = naming.layout === 'flat' ? rest.replace(/-+/g, (r) => (r.length === 1 ? '/' : '-'.repeat(r.length - 1))) : rest;
  const slash = joined.indexOf('/');
  return `${decodeDomain(joined.slice(0, slash))}/${joined.slice(slash + 1)}`;
}

const layouts: readonly BackupNaming[] = [
  parseBackupNaming({ registry: 'backup.example:5000' }),
  parseBackupNaming({ registry: 'backup.example:5000', prefix: 'mirror' }),
  parseBackupNaming({ registry: 'docker.io', prefix: 'myorg', layout: 'flat' }),
  parseBackupNaming({ registry: 'backup.example', prefix: 'a/b', layout: 'flat' }),
];

const property = suite('backup naming properties');

for (const naming of layouts) {
  property(`${naming.layout} ${naming.registry}/${naming.prefix ?? ''}: injective and always a valid reference`, () => {
    const gen = generator(SEED);
    const seen = new Map<string, string>();
    let checked = 0;
    for (let i = 0; i < CASES; i += 1) {
      const source = sourceOf(gen.domain(), gen.path());
      if (source === undefined) continue;
      checked += 1;
      const key = `${source.domain.toLowerCase()}/${source.path}`;
      const path = backupRepositoryPath(source, naming);
      const name = `${naming.registry}/${path}`;
      const parsed = parseImageRef(`${name}:t@sha256:${'0'.repeat(64)}`);
      assert.is(formatImageRef({ domain: parsed.domain, path: parsed.path }), name, 'canonical and parseable');
      assert.is(decode(path, naming), key, `decodes back: ${name}`);
      const earlier = seen.get(path);
      assert.ok(earlier === undefined || earlier === key, `${earlier ?? ''} and ${key} collide at ${path}`);
      seen.set(path, key);
    }
    assert.ok(checked > CASES / 2, `only ${checked} generated sources were valid`);
    assert.ok(seen.size > CASES / 4, `only ${seen.size} distinct sources: the generator is too narrow`);
  });
}

property('the generator hits the tricky shapes', () => {
  const gen = generator(SEED);
  const shapes = { ipv6: 0, port: 0, hyphenRun: 0, doubleUnderscore: 0, upper: 0 };
  for (let i = 0; i < CASES; i += 1) {
    const source = sourceOf(gen.domain(), gen.path());
    if (source === undefined) continue;
    if (source.domain.startsWith('[')) shapes.ipv6 += 1;
    if (/:[0-9]+$/.test(source.domain)) shapes.port += 1;
    if (/--/.test(source.path)) shapes.hyphenRun += 1;
    if (/__/.test(source.path)) shapes.doubleUnderscore += 1;
    if (/[A-Z]/.test(source.domain)) shapes.upper += 1;
  }
  for (const [shape, count] of Object.entries(shapes)) assert.ok(count > 100, `${shape}: ${count}`);
});

property.run();
