/**
 * Hostile values for the admission fuzzer: image strings that are invalid,
 * enormous or try path tricks in backup naming, keys that pollute
 * prototypes, and values of every JSON type.
 */
import type { Prng } from './prng.js';

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** Hand-picked images: each one aims at a parsing or naming rule. */
export const HOSTILE_IMAGES: readonly string[] = [
  '',
  ' ',
  'alpine',
  'nginx:1.25',
  `alpine@${DIGEST}`,
  `alpine:3.19@${DIGEST}`,
  'quay.io/prometheus/node-exporter:v1.8.0',
  'localhost:5000/app:v1',
  '127.0.0.1:5000/a/b/c:t',
  '[::1]:5000/app:v1',
  '../../etc/passwd',
  'registry.example/../../etc/passwd',
  'registry.example/a/../b:tag',
  'registry.example/a/./b',
  'registry.example/%2e%2e/%2e%2e/secret',
  'registry.example/a%2fb',
  'registry.example//double',
  'registry.example/a/b/',
  '/absolute/path',
  'registry.example/app@sha256:short',
  `registry.example/app@sha256:${'A'.repeat(64)}`,
  `registry.example/app@sha256:${'a'.repeat(64)}@${DIGEST}`,
  `registry.example/app@sha512:${'b'.repeat(128)}`,
  `registry.example/app@md5:${'c'.repeat(32)}`,
  `registry.example/app:tag@`,
  `registry.example/app:@${DIGEST}`,
  `registry.example/app@${DIGEST}:tag`,
  'Registry.Example/App:Tag',
  'UPPER/CASE',
  'registry.example/ünïcödé:tag',
  'registry.example/app:tåg',
  'regístry.example/app',
  'registry.example/app\u0000:tag',
  'registry.example/app\n:tag',
  'registry.example/app:tag\r\nInjected: header',
  'registry.example/app\u202e:gat',
  'registry.example/app:\u{1f600}',
  'registry.example:99999/app',
  'registry.example:-1/app',
  'registry.example:/app',
  'http://registry.example/app:tag',
  'docker://registry.example/app:tag',
  'oci-archive:/etc/passwd:tag',
  'registry.example/__proto__:constructor',
  '__proto__',
  'constructor/prototype',
  'backup.example:5000/docker.io/library/alpine:3.12',
  `backup.example:5000/../../evil@${DIGEST}`,
  `backup.example:5000/docker.io/library/alpine:3.12@${DIGEST}`,
  'a'.repeat(10_000),
  `registry.example/${'a/'.repeat(200)}app`,
  `registry.example/${'x'.repeat(255)}:t`,
  `registry.example/${'x'.repeat(256)}:t`,
  `registry.example/app:${'t'.repeat(128)}`,
  `registry.example/app:${'t'.repeat(129)}`,
  `${'h'.repeat(300)}.example/app`,
  `registry.example/a${'-'.repeat(5000)}b`,
  `registry.example/a${'._'.repeat(3000)}b`,
];

const ALPHABET = 'abcz09.-_/:@%~ AZ\u0000\n\u00e9\u{1f600}';

/** A hand-picked image, a random string from a hostile alphabet, or one of those grown huge. */
export function hostileImage(rng: Prng): string {
  const roll = rng.next();
  if (roll < 0.6) return rng.pick(HOSTILE_IMAGES);
  if (roll < 0.9) {
    const chars = [...ALPHABET];
    let out = '';
    for (let n = rng.int(1, 80); n > 0; n--) out += rng.pick(chars);
    return out;
  }
  return rng.pick(HOSTILE_IMAGES).repeat(rng.int(2, 50)).slice(0, 20_000);
}

/** A value of a random JSON type, hostile where it can be. */
export function hostileValue(rng: Prng): unknown {
  switch (rng.int(0, 11)) {
    case 0:
      return null;
    case 1:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2]);
    case 2:
      return rng.chance(0.5);
    case 3:
      return '';
    case 4:
      return hostileImage(rng);
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return [hostileImage(rng), 1, null];
    case 8:
      return { image: hostileImage(rng), name: hostileImage(rng) };
    case 9:
      return protoObject(rng);
    case 10:
      return 'x'.repeat(rng.int(1_000, 100_000));
    default:
      return { reference: hostileImage(rng) };
  }
}

/** An object whose own keys are __proto__ / constructor / prototype (own data, as JSON.parse makes them). */
export function protoObject(rng: Prng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of PROTO_KEYS) {
    if (rng.chance(0.7)) defineKey(out, key, { polluted: true, image: 'evil', toString: 'x', name: 'evil' });
  }
  return out;
}

/** Sets an own data property, even `__proto__` (assignment would change the prototype instead). */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
