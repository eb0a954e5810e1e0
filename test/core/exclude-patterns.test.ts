import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { compileExcludePatterns, isExcluded } from '../../src/core/exclude-patterns.js';
import { parseImageRef } from '../../src/core/reference.js';

const D = `sha256:${'b'.repeat(64)}`;
const match = suite('exclude patterns: matching');

const cases: readonly { pattern: string; image: string; want: boolean }[] = [
  { pattern: 'registry.k8s.io/**', image: 'registry.k8s.io/ingress-nginx/controller:v1.15.1', want: true },
  { pattern: 'registry.k8s.io/**', image: 'registry.k8s.io.evil.example/x', want: false },
  { pattern: 'registry.k8s.io/*', image: 'registry.k8s.io/pause:3.10', want: true },
  { pattern: 'registry.k8s.io/*', image: 'registry.k8s.io/ingress-nginx/controller', want: false },
  { pattern: 'docker.io/library/*', image: 'nginx', want: true },
  { pattern: 'docker.io/library/*', image: 'bitnami/redis', want: false },
  { pattern: 'docker.io/library/nginx', image: 'nginx:1.25', want: true }, // repository match: every tag
  { pattern: 'docker.io/library/nginx:1.25', image: 'nginx:1.25', want: true },
  { pattern: 'docker.io/library/nginx:1.25', image: 'nginx:1.26', want: false },
  { pattern: 'docker.io/library/nginx', image: 'nginx-extra', want: false },
  { pattern: 'quay.io/org/app:*', image: 'quay.io/org/app:v1', want: true },
  { pattern: 'quay.io/org/app:*', image: `quay.io/org/app@${D}`, want: false },
  { pattern: 'quay.io/org/app@*', image: `quay.io/org/app@${D}`, want: true },
  { pattern: 'Quay.IO/org/*', image: 'quay.io/org/app', want: true }, // hosts compare lowercased
  { pattern: 'quay.io/org/*', image: 'QUAY.io/org/app', want: true },
  { pattern: 'quay.io/org/a.b', image: 'quay.io/org/axb', want: false }, // "." is literal
  { pattern: '**/pause:*', image: 'registry.k8s.io/pause:3.10', want: true },
  { pattern: 'localhost:5000/**', image: 'localhost:5000/a/b:c', want: true },
  { pattern: '[::1]:5000/**', image: '[::1]:5000/a', want: true },
];
for (const c of cases) {
  match(`${c.pattern} ${c.want ? 'matches' : 'does not match'} ${c.image}`, () => {
    assert.is(isExcluded(parseImageRef(c.image), compileExcludePatterns([c.pattern])), c.want);
  });
}

match('no patterns exclude nothing; any one pattern is enough', () => {
  assert.is(isExcluded(parseImageRef('nginx'), compileExcludePatterns([])), false);
  assert.is(isExcluded(parseImageRef('nginx'), compileExcludePatterns(['quay.io/**', 'docker.io/**'])), true);
});

const config = suite('exclude patterns: validation');

const bad: readonly string[] = ['nginx', '', 'docker.io/library/nginx latest', 'docker.io/(a|b)', 'docker.io/***', 'x.io/' + 'a'.repeat(600)];
for (const pattern of bad) {
  config(`refuses ${JSON.stringify(pattern.slice(0, 40))}`, () => {
    try {
      compileExcludePatterns([pattern]);
      assert.unreachable();
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_CONFIG');
    }
  });
}

config('reports every bad pattern at once', () => {
  try {
    compileExcludePatterns(['nginx', 'ok.io/x', 'redis']);
    assert.unreachable();
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.match(error.message, /"nginx"/);
    assert.match(error.message, /"redis"/);
  }
});

match.run();
config.run();
