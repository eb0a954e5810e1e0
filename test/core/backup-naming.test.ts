import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  backupRepositoryPath,
  encodeDomainComponent,
  isInBackup,
  normalizeRegistryName,
  parseBackupNaming,
  toBackupRef,
} from '../../src/core/backup-naming.js';
import type { BackupNaming, BackupNamingInput } from '../../src/core/backup-naming.js';
import { isClonerError } from '../../src/core/errors.js';
import { formatImageRef, parseImageRef } from '../../src/core/reference.js';

const D = `sha256:${'a'.repeat(64)}`;
const nested = parseBackupNaming({ registry: 'backup.example:5000' });
const nestedPrefixed = parseBackupNaming({ registry: 'backup.example:5000', prefix: '/mirror/k8s/' });
const flat = parseBackupNaming({ registry: 'docker.io', prefix: 'myorg', layout: 'flat' });

function backup(image: string, naming: BackupNaming): string {
  return formatImageRef(toBackupRef(parseImageRef(image), naming));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isClonerError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

const naming = suite('backup naming');

const cases: readonly { input: string; naming: BackupNaming; want: string }[] = [
  { input: 'alpine:3.12', naming: nested, want: 'backup.example:5000/docker.io/library/alpine:3.12' },
  { input: 'alpine', naming: nested, want: 'backup.example:5000/docker.io/library/alpine' },
  { input: 'localhost:5000/x', naming: nested, want: 'backup.example:5000/localhost_5000/x' },
  { input: '127.0.0.1:31999/stefanprodan/podinfo-2985051089:6.1.6', naming: nested, want: 'backup.example:5000/127.0.0.1_31999/stefanprodan/podinfo-2985051089:6.1.6' },
  { input: '[::1]:5000/x:1', naming: nested, want: 'backup.example:5000/ipv6__xx1_5000/x:1' },
  { input: '[2001:DB8::1]/a/b', naming: nested, want: 'backup.example:5000/ipv6__2001xdb8xx1/a/b' },
  { input: 'Quay.IO/org/app:v1', naming: nested, want: 'backup.example:5000/quay.io/org/app:v1' },
  { input: `gcr.io/knative-releases/knative.dev/serving/cmd/queue@${D}`, naming: nested, want: `backup.example:5000/gcr.io/knative-releases/knative.dev/serving/cmd/queue@${D}` },
  { input: `busybox:1.38.0@${D}`, naming: nested, want: `backup.example:5000/docker.io/library/busybox:1.38.0@${D}` },
  { input: 'alpine:3.12', naming: nestedPrefixed, want: 'backup.example:5000/mirror/k8s/docker.io/library/alpine:3.12' },
  { input: 'xn--bcher-kva.example/a', naming: nested, want: 'backup.example:5000/xn--bcher-kva.example/a' },
  // flat: "/" -> "-", a run of k hyphens -> k+1.
  { input: 'alpine:3.12', naming: flat, want: 'docker.io/myorg/docker.io-library-alpine:3.12' },
  { input: 'bitnami/redis', naming: flat, want: 'docker.io/myorg/docker.io-bitnami-redis' },
  { input: 'quay.io/a-b/c', naming: flat, want: 'docker.io/myorg/quay.io-a--b-c' },
  { input: 'quay.io/a/b-c', naming: flat, want: 'docker.io/myorg/quay.io-a-b--c' },
  { input: 'localhost:5000/my__app.x', naming: flat, want: 'docker.io/myorg/localhost_5000-my__app.x' },
  { input: `[::1]/x@${D}`, naming: flat, want: `docker.io/myorg/ipv6__xx1-x@${D}` },
];

for (const c of cases) {
  naming(`${c.naming.layout}${c.naming.prefix === undefined ? '' : ` ${c.naming.prefix}`}: ${c.input}`, () => {
    const got = backup(c.input, c.naming);
    assert.is(got, c.want);
    assert.is(formatImageRef(parseImageRef(got)), got, 'the backup name is canonical');
  });
}

naming('redis and bitnami/redis stay apart (the old naming mixed them up)', () => {
  assert.is.not(backup('redis', nested), backup('bitnami/redis', nested));
  assert.is.not(backup('redis', flat), backup('bitnami/redis', flat));
});

naming('a name past the 255-character path limit is refused, not truncated', () => {
  const path = `a/${'b'.repeat(250)}`;
  assert.ok(parseImageRef(`gcr.io/${path}`));
  assert.is(codeOf(() => toBackupRef(parseImageRef(`gcr.io/${path}`), nested)), 'IC_ERR_BACKUP_NAME');
  assert.is(codeOf(() => toBackupRef(parseImageRef(`gcr.io/${path}`), flat)), 'IC_ERR_BACKUP_NAME');
  // Exactly at the limit is fine: "gcr.io/" + path = 255.
  const fits = 'c'.repeat(255 - 'gcr.io/'.length);
  assert.is(backupRepositoryPath({ domain: 'gcr.io', path: fits }, nested).length, 255);
});

naming('domain components', () => {
  const table: readonly [string, string][] = [
    ['docker.io', 'docker.io'],
    ['localhost', 'localhost'],
    ['localhost:5001', 'localhost_5001'],
    ['10.0.0.1:80', '10.0.0.1_80'],
    ['[::]', 'ipv6__xx'],
    ['[fe80::1]:443', 'ipv6__fe80xx1_443'],
    ['REGISTRY.Example.COM', 'registry.example.com'],
  ];
  for (const [domain, want] of table) assert.is(encodeDomainComponent(domain), want, domain);
  assert.is(codeOf(() => encodeDomainComponent('a_b')), 'IC_ERR_BACKUP_NAME');
});

const config = suite('backup naming config');

const goodConfigs: readonly { input: BackupNamingInput; want: BackupNaming }[] = [
  { input: { registry: 'localhost:5001' }, want: { registry: 'localhost:5001', layout: 'nested' } },
  { input: { registry: 'Registry.Example.com', prefix: 'a/b' }, want: { registry: 'registry.example.com', prefix: 'a/b', layout: 'nested' } },
  { input: { registry: 'https://registry.example.com/' }, want: { registry: 'registry.example.com', layout: 'nested' } },
  { input: { registry: 'index.docker.io', prefix: 'org', layout: 'flat' }, want: { registry: 'docker.io', prefix: 'org', layout: 'flat' } },
  { input: { registry: '[::1]:5000', prefix: '' }, want: { registry: '[::1]:5000', layout: 'nested' } },
];
for (const c of goodConfigs) {
  config(`accepts ${JSON.stringify(c.input)}`, () => assert.equal(parseBackupNaming(c.input), c.want));
}

const badConfigs: readonly BackupNamingInput[] = [
  { registry: 'myregistry' }, // read as a Docker Hub namespace
  { registry: '' },
  { registry: 'registry.example.com/path' }, // the path goes in prefix
  { registry: 'registry.example.com', prefix: 'Upper' },
  { registry: 'registry.example.com', prefix: 'a//b' },
  { registry: 'docker.io', layout: 'flat' }, // flat needs a namespace
];
for (const input of badConfigs) {
  config(`refuses ${JSON.stringify(input)}`, () => assert.is(codeOf(() => parseBackupNaming(input)), 'IC_ERR_BAD_CONFIG'));
}

config('reports every problem at once', () => {
  try {
    parseBackupNaming({ registry: 'nope', prefix: 'Bad', layout: 'flat' });
    assert.unreachable();
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.match(error.message, /not HOST/);
    assert.match(error.message, /prefix/);
  }
});

config('normalizeRegistryName', () => {
  assert.is(normalizeRegistryName('http://kind-registry:5000'), 'kind-registry:5000');
  assert.is(normalizeRegistryName('kind-registry'), undefined);
  assert.is(normalizeRegistryName('registry-1.docker.io'), 'registry-1.docker.io');
});

const inBackup = suite('isInBackup');

const kind = parseBackupNaming({ registry: 'localhost:5001' });
const inBackupCases: readonly { image: string; naming: BackupNaming; aliases?: string[]; want: boolean }[] = [
  { image: 'localhost:5001/docker.io/library/nginx:1.25', naming: kind, want: true },
  { image: 'LOCALHOST:5001/x', naming: kind, want: true },
  { image: 'kind-registry:5000/docker.io/library/nginx', naming: kind, want: false },
  { image: 'kind-registry:5000/docker.io/library/nginx', naming: kind, aliases: ['http://kind-registry:5000'], want: true },
  { image: 'localhost:5000/x', naming: kind, want: false },
  { image: 'nginx', naming: kind, want: false },
  { image: 'docker.io/myorg/docker.io-library-nginx', naming: flat, want: true },
  { image: 'docker.io/library/nginx', naming: flat, want: false }, // Docker Hub is shared: only our namespace counts
  { image: 'docker.io/myorgx/y', naming: flat, want: false },
  { image: 'backup.example:5000/mirror/k8s/x/y', naming: nestedPrefixed, want: true },
  { image: 'backup.example:5000/mirror/other', naming: nestedPrefixed, want: false },
];
for (const c of inBackupCases) {
  inBackup(`${c.image} -> ${c.want}`, () => {
    assert.is(isInBackup(parseImageRef(c.image), c.naming, c.aliases ?? []), c.want);
  });
}

inBackup('every backup name is in the backup', () => {
  for (const c of cases) assert.ok(isInBackup(parseImageRef(c.want), c.naming), c.want);
});

naming.run();
config.run();
inBackup.run();
