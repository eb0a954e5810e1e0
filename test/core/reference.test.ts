import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import type { ClonerError } from '../../src/core/errors.js';
import {
  DOCKER_HUB_DOMAIN,
  MAX_REPOSITORY_PATH_LENGTH,
  familiarImageRef,
  formatImageRef,
  formatRepository,
  isValidRepositoryPath,
  isValidTag,
  parseImageRef,
  parseImageRefStrict,
  registryApiHost,
  withDefaultTag,
} from '../../src/core/reference.js';
import type { ImageRef } from '../../src/core/reference.js';

const D256 = 'sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d';
const FF256 = `sha256:${'f'.repeat(64)}`;
const FF512 = `sha512:${'f'.repeat(128)}`;
const HEX64 = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';

function catchError(fn: () => unknown): ClonerError {
  try {
    fn();
  } catch (error) {
    if (isClonerError(error)) return error;
    throw error;
  }
  throw new Error('expected a ClonerError, nothing was thrown');
}

function ref(domain: string, path: string, tag?: string, digest?: string): ImageRef {
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

interface GoodCase {
  readonly input: string;
  readonly want: ImageRef;
  readonly canonical: string;
  readonly familiar: string;
}

const good: readonly GoodCase[] = [
  // Docker Hub familiar names (normalize.go splitDockerDomain).
  { input: 'alpine', want: ref('docker.io', 'library/alpine'), canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'alpine:3.12', want: ref('docker.io', 'library/alpine', '3.12'), canonical: 'docker.io/library/alpine:3.12', familiar: 'alpine:3.12' },
  { input: 'library/alpine', want: ref('docker.io', 'library/alpine'), canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'docker.io/alpine', want: ref('docker.io', 'library/alpine'), canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'index.docker.io/alpine', want: ref('docker.io', 'library/alpine'), canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'index.docker.io/x', want: ref('docker.io', 'library/x'), canonical: 'docker.io/library/x', familiar: 'x' },
  { input: 'index.docker.io/library/alpine:3.12', want: ref('docker.io', 'library/alpine', '3.12'), canonical: 'docker.io/library/alpine:3.12', familiar: 'alpine:3.12' },
  { input: 'bitnami/redis', want: ref('docker.io', 'bitnami/redis'), canonical: 'docker.io/bitnami/redis', familiar: 'bitnami/redis' },
  { input: 'index.docker.io/bitnami/redis', want: ref('docker.io', 'bitnami/redis'), canonical: 'docker.io/bitnami/redis', familiar: 'bitnami/redis' },
  { input: 'library/foo/bar', want: ref('docker.io', 'library/foo/bar'), canonical: 'docker.io/library/foo/bar', familiar: 'library/foo/bar' },
  { input: 'store/foo/bar', want: ref('docker.io', 'store/foo/bar'), canonical: 'docker.io/store/foo/bar', familiar: 'store/foo/bar' },
  { input: 'other/library', want: ref('docker.io', 'other/library'), canonical: 'docker.io/other/library', familiar: 'other/library' },
  { input: 'test_com/foo', want: ref('docker.io', 'test_com/foo'), canonical: 'docker.io/test_com/foo', familiar: 'test_com/foo' },
  { input: 'redis@' + D256, want: ref('docker.io', 'library/redis', undefined, D256), canonical: `docker.io/library/redis@${D256}`, familiar: `redis@${D256}` },
  { input: `busybox:latest@${D256}`, want: ref('docker.io', 'library/busybox', 'latest', D256), canonical: `docker.io/library/busybox:latest@${D256}`, familiar: `busybox:latest@${D256}` },
  { input: `docker.io/library/alpine:3.12@${D256}`, want: ref('docker.io', 'library/alpine', '3.12', D256), canonical: `docker.io/library/alpine:3.12@${D256}`, familiar: `alpine:3.12@${D256}` },
  // Path component separators: one period, one or two underscores, any number of dashes.
  { input: 'docker---rules/docker', want: ref('docker.io', 'docker---rules/docker'), canonical: 'docker.io/docker---rules/docker', familiar: 'docker---rules/docker' },
  { input: 'dock__er/docker', want: ref('docker.io', 'dock__er/docker'), canonical: 'docker.io/dock__er/docker', familiar: 'dock__er/docker' },
  { input: 'd/docker', want: ref('docker.io', 'd/docker'), canonical: 'docker.io/d/docker', familiar: 'd/docker' },
  { input: 'jess/t', want: ref('docker.io', 'jess/t'), canonical: 'docker.io/jess/t', familiar: 'jess/t' },
  { input: 'foo/foo_bar.com:8080', want: ref('docker.io', 'foo/foo_bar.com', '8080'), canonical: 'docker.io/foo/foo_bar.com:8080', familiar: 'foo/foo_bar.com:8080' },
  // A bare 64-hex string is refused as an ID, but qualified or 63 long it is a name.
  { input: HEX64.slice(1), want: ref('docker.io', `library/${HEX64.slice(1)}`), canonical: `docker.io/library/${HEX64.slice(1)}`, familiar: HEX64.slice(1) },
  { input: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', want: ref('docker.io', 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev'), canonical: 'docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', familiar: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev' },
  // Tags may hold uppercase; a lone "host:port" is a Docker Hub name and a tag (normalize.go FIXME).
  { input: 'lowercase:Uppercase', want: ref('docker.io', 'library/lowercase', 'Uppercase'), canonical: 'docker.io/library/lowercase:Uppercase', familiar: 'lowercase:Uppercase' },
  { input: 'test.com:5000', want: ref('docker.io', 'library/test.com', '5000'), canonical: 'docker.io/library/test.com:5000', familiar: 'test.com:5000' },
  { input: 'localhost:5000', want: ref('docker.io', 'library/localhost', '5000'), canonical: 'docker.io/library/localhost:5000', familiar: 'localhost:5000' },
  { input: '192.168.1.1', want: ref('docker.io', 'library/192.168.1.1'), canonical: 'docker.io/library/192.168.1.1', familiar: '192.168.1.1' },
  { input: 'tagged:_x', want: ref('docker.io', 'library/tagged', '_x'), canonical: 'docker.io/library/tagged:_x', familiar: 'tagged:_x' },
  // Registry hosts: localhost, anything with "." or ":", IPv4, bracketed IPv6, ports.
  { input: 'localhost/foo', want: ref('localhost', 'foo'), canonical: 'localhost/foo', familiar: 'localhost/foo' },
  { input: 'localhost:5000/x', want: ref('localhost:5000', 'x'), canonical: 'localhost:5000/x', familiar: 'localhost:5000/x' },
  { input: 'localhost:5000/x:1', want: ref('localhost:5000', 'x', '1'), canonical: 'localhost:5000/x:1', familiar: 'localhost:5000/x:1' },
  { input: 'test-com:8080/foo', want: ref('test-com:8080', 'foo'), canonical: 'test-com:8080/foo', familiar: 'test-com:8080/foo' },
  { input: '127.0.0.1:31999/a/b:1', want: ref('127.0.0.1:31999', 'a/b', '1'), canonical: '127.0.0.1:31999/a/b:1', familiar: '127.0.0.1:31999/a/b:1' },
  { input: '192.168.1.1:5000/repo:5050', want: ref('192.168.1.1:5000', 'repo', '5050'), canonical: '192.168.1.1:5000/repo:5050', familiar: '192.168.1.1:5000/repo:5050' },
  { input: '[::1]:5000/x', want: ref('[::1]:5000', 'x'), canonical: '[::1]:5000/x', familiar: '[::1]:5000/x' },
  { input: '[2001:db8::1]/repo', want: ref('[2001:db8::1]', 'repo'), canonical: '[2001:db8::1]/repo', familiar: '[2001:db8::1]/repo' },
  { input: '[2001:db8:1:2:3:4:5:6]/repo:tag', want: ref('[2001:db8:1:2:3:4:5:6]', 'repo', 'tag'), canonical: '[2001:db8:1:2:3:4:5:6]/repo:tag', familiar: '[2001:db8:1:2:3:4:5:6]/repo:tag' },
  { input: `[2001:db8::]:5000/repo:tag@${FF256}`, want: ref('[2001:db8::]:5000', 'repo', 'tag', FF256), canonical: `[2001:db8::]:5000/repo:tag@${FF256}`, familiar: `[2001:db8::]:5000/repo:tag@${FF256}` },
  { input: `test:5000/repo@${FF256}`, want: ref('test:5000', 'repo', undefined, FF256), canonical: `test:5000/repo@${FF256}`, familiar: `test:5000/repo@${FF256}` },
  { input: 'quay.io/x/y:1', want: ref('quay.io', 'x/y', '1'), canonical: 'quay.io/x/y:1', familiar: 'quay.io/x/y:1' },
  { input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', want: ref('sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag'), canonical: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', familiar: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag' },
  { input: 'b.gcr.io/test.example.com/my-app:test.example.com', want: ref('b.gcr.io', 'test.example.com/my-app', 'test.example.com'), canonical: 'b.gcr.io/test.example.com/my-app:test.example.com', familiar: 'b.gcr.io/test.example.com/my-app:test.example.com' },
  { input: `xn--7o8h.com/myimage:xn--7o8h.com@${FF512}`, want: ref('xn--7o8h.com', 'myimage', 'xn--7o8h.com', FF512), canonical: `xn--7o8h.com/myimage:xn--7o8h.com@${FF512}`, familiar: `xn--7o8h.com/myimage:xn--7o8h.com@${FF512}` },
  // Current normalize.go: an uppercase first component can only be a host.
  { input: 'Docker/docker', want: ref('Docker', 'docker'), canonical: 'Docker/docker', familiar: 'Docker/docker' },
  { input: 'FOO/bar:1', want: ref('FOO', 'bar', '1'), canonical: 'FOO/bar:1', familiar: 'FOO/bar:1' },
  // Limits: tag 128, path 255 (the domain does not count: distribution/reference PR #9).
  { input: `foo:${'t'.repeat(128)}`, want: ref('docker.io', 'library/foo', 't'.repeat(128)), canonical: `docker.io/library/foo:${'t'.repeat(128)}`, familiar: `foo:${'t'.repeat(128)}` },
  { input: `${'a/'.repeat(127)}a`, want: ref('docker.io', `${'a/'.repeat(127)}a`), canonical: `docker.io/${'a/'.repeat(127)}a`, familiar: `${'a/'.repeat(127)}a` },
  { input: `registry.example.com:5000/${'a/'.repeat(127)}a:tag`, want: ref('registry.example.com:5000', `${'a/'.repeat(127)}a`, 'tag'), canonical: `registry.example.com:5000/${'a/'.repeat(127)}a:tag`, familiar: `registry.example.com:5000/${'a/'.repeat(127)}a:tag` },
];

const parse = suite('parseImageRef: accepted references');

for (const c of good) {
  parse(c.input.length > 80 ? `${c.input.slice(0, 80)}...` : c.input, () => {
    const parsed = parseImageRef(c.input);
    assert.equal(parsed, c.want);
    assert.is(formatImageRef(parsed), c.canonical);
    assert.is(familiarImageRef(parsed), c.familiar);
    assert.is(formatRepository(parsed), `${c.want.domain}/${c.want.path}`);
    // The canonical form is a fixed point, and strict parsing accepts exactly it.
    assert.equal(parseImageRef(c.canonical), c.want);
    assert.equal(parseImageRefStrict(c.canonical), c.want);
    assert.equal(parseImageRef(c.familiar), c.want);
  });
}

parse('a qualified 64-hex name is a name, but its familiar form reads back as an image ID (as upstream)', () => {
  const parsed = parseImageRef(`docker.io/${HEX64}`);
  assert.equal(parsed, ref('docker.io', `library/${HEX64}`));
  assert.is(formatImageRef(parsed), `docker.io/library/${HEX64}`);
  assert.is(familiarImageRef(parsed), HEX64);
  assert.is(catchError(() => parseImageRef(HEX64)).code, 'IC_ERR_BAD_REFERENCE');
});

parse('the familiar form of a Docker Hub path with a dotted namespace reads back as a host (as upstream)', () => {
  const parsed = parseImageRef('docker.io/foo.bar/baz');
  assert.equal(parsed, ref('docker.io', 'foo.bar/baz'));
  assert.is(familiarImageRef(parsed), 'foo.bar/baz');
  assert.equal(parseImageRef('foo.bar/baz'), ref('foo.bar', 'baz'));
});

parse.run();

const bad: ReadonlyArray<readonly [string, RegExp]> = [
  ['', /repository name must have at least one component/],
  ['imageValue', /repository name "library\/imageValue" must be lowercase/],
  ['<your-private-image>', /invalid repository name "library\/<your-private-image>": character "<" is not allowed/],
  ['docker/Docker', /repository name "docker\/Docker" must be lowercase/],
  ['docker.io/docker/Docker', /repository name "docker\/Docker" must be lowercase/],
  ['test:5000/Uppercase/lowercase:tag', /repository name "Uppercase\/lowercase" must be lowercase/],
  ['Uppercase:tag', /repository name "library\/Uppercase" must be lowercase/],
  [`foo@SHA256:${'f'.repeat(64)}`, /repository name "library\/foo@SHA256" must be lowercase/],
  [HEX64, /a 64-character hexadecimal string is an image ID/],
  ['https://github.com/docker/docker', /"https:" is not a valid registry host\[:port\]/],
  ['-docker.io/docker/docker', /"-docker.io" is not a valid registry host/],
  ['fc00::1:5000/debian', /"fc00::1:5000" is not a valid registry host/],
  ['[fe80::1%eth0]:5000/debian', /"\[fe80::1%eth0\]:5000" is not a valid registry host/],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', /is not a valid registry host/],
  ['example.com:port/x', /"example.com:port" is not a valid registry host/],
  // distribution/reference would return these with an empty domain; there is no registry to use.
  ['foo_bar.com/x', /"foo_bar.com" is not a valid registry host/],
  ['[fc00::1]', /character "\[" is not allowed/],
  ['[fc00::1]:5000', /character "\[" is not allowed/],
  ['-docker', /component "-docker" must start and end with a lowercase letter or digit/],
  ['-docker/docker', /component "-docker" must start and end/],
  ['docker-/docker', /component "docker-" must start and end/],
  ['-docker-/docker', /component "-docker-" must start and end/],
  ['____/____', /component "____" must start and end/],
  ['_docker/_docker', /component "_docker" must start and end/],
  ['x/dock..er', /component "dock..er" must start and end/],
  ['x/dock_.er', /component "dock_.er" must start and end/],
  ['x/dock-.er', /component "dock-.er" must start and end/],
  ['dock___er/docker', /component "dock___er" must start and end/],
  // With a "." the first component is read as a host (normalize.go), and fails as one.
  ['dock..er/docker', /"dock..er" is not a valid registry host/],
  ['dock_.er/docker', /"dock_.er" is not a valid registry host/],
  ['docker///docker', /empty path component/],
  ['docker/', /empty path component/],
  ['/docker', /empty path component/],
  ['localhost:5000/', /empty path component/],
  [':justtag', /empty path component/],
  [`@${FF256}`, /empty path component/],
  ['aa/asdf$$^/aa', /character "\$" is not allowed/],
  ['foo bar', /character " " is not allowed/],
  [' alpine', /character " " is not allowed/],
  ['alpine\n', /character "\\n" is not allowed/],
  ['foo:', /invalid tag "": 1 to 128/],
  ['foo:-bar', /invalid tag "-bar"/],
  ['foo:.bar', /invalid tag ".bar"/],
  ['foo:a/b', /"foo:a" is not a valid registry host/],
  ['foo/bar:a/b', /invalid tag "a\/b"/],
  [`foo:${'t'.repeat(129)}`, /invalid tag "t{129}"/],
  ['foo:a:b', /invalid tag "a:b"/],
  ['foo@', /invalid digest "": expected <algorithm>:<hex>/],
  ['foo@sha256:abc', /invalid digest "sha256:abc"/],
  [`foo@${FF256}:x`, /invalid digest/],
  [`foo@${FF256}@${FF256}`, /invalid digest/],
  [`repo@sha256:${'f'.repeat(34)}`, /sha256 needs exactly 64 lowercase hex characters/],
  [`repo@sha256:${'F'.repeat(64)}`, /sha256 needs exactly 64 lowercase hex characters/],
  [`validname@invaliddigest:${'f'.repeat(64)}`, /unsupported algorithm "invaliddigest"/],
  [`validname@sha384:${'f'.repeat(96)}`, /unsupported algorithm "sha384"/],
  [`${'a/'.repeat(128)}a:tag`, /repository name must not be more than 255 characters/],
  [`example.com/${'a'.repeat(256)}`, /repository name must not be more than 255 characters/],
  ['a'.repeat(5000), /longer than 4096 characters/],
];

const refuse = suite('parseImageRef: refused references');

for (const [input, message] of bad) {
  refuse(JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}...` : input), () => {
    const error = catchError(() => parseImageRef(input));
    assert.is(error.code, 'IC_ERR_BAD_REFERENCE');
    assert.match(error.message, message);
    assert.ok(error.message.startsWith('invalid image reference "'), error.message);
  });
}

refuse('a bad digest keeps the digest error as its cause', () => {
  const error = catchError(() => parseImageRef(`repo@sha256:${'f'.repeat(40)}`));
  assert.is(error.code, 'IC_ERR_BAD_REFERENCE');
  if (!isClonerError(error.cause)) throw new Error('expected a ClonerError cause');
  assert.is(error.cause.code, 'IC_ERR_BAD_DIGEST');
});

refuse('messages never carry raw control characters', () => {
  const error = catchError(() => parseImageRef('evil\r\nX-Injected: 1'));
  assert.is(/[\r\n]/.test(error.message), false);
});

refuse.run();

const strict = suite('parseImageRefStrict');

for (const [input, canonical] of [
  ['alpine', 'docker.io/library/alpine'],
  ['alpine:3.12', 'docker.io/library/alpine:3.12'],
  ['docker.io/alpine', 'docker.io/library/alpine'],
  ['index.docker.io/library/alpine', 'docker.io/library/alpine'],
  ['bitnami/redis', 'docker.io/bitnami/redis'],
] as const) {
  strict(`refuses non-canonical ${input}`, () => {
    const error = catchError(() => parseImageRefStrict(input));
    assert.is(error.code, 'IC_ERR_BAD_REFERENCE');
    assert.match(error.message, `repository name must be canonical (write "${canonical}")`);
  });
}

strict('refuses what parseImageRef refuses, with the same reason', () => {
  const error = catchError(() => parseImageRefStrict('docker.io/library/Alpine'));
  assert.is(error.code, 'IC_ERR_BAD_REFERENCE');
  assert.match(error.message, /must be lowercase/);
});

strict.run();

const helpers = suite('withDefaultTag, registryApiHost, isValidTag, isValidRepositoryPath');

helpers('withDefaultTag adds latest only to a bare name', () => {
  assert.equal(withDefaultTag(ref('docker.io', 'library/alpine')), ref('docker.io', 'library/alpine', 'latest'));
  assert.equal(withDefaultTag(ref('quay.io', 'x/y', '1')), ref('quay.io', 'x/y', '1'));
  assert.equal(withDefaultTag(ref('quay.io', 'x/y', undefined, D256)), ref('quay.io', 'x/y', undefined, D256));
  assert.equal(withDefaultTag(ref('quay.io', 'x/y', 'v1', D256)), ref('quay.io', 'x/y', 'v1', D256));
});

helpers('registryApiHost maps only docker.io', () => {
  assert.is(DOCKER_HUB_DOMAIN, 'docker.io');
  assert.is(registryApiHost('docker.io'), 'registry-1.docker.io');
  assert.is(registryApiHost('quay.io'), 'quay.io');
  assert.is(registryApiHost('localhost:5000'), 'localhost:5000');
  assert.is(registryApiHost('[::1]:5000'), '[::1]:5000');
  assert.is(registryApiHost('registry-1.docker.io'), 'registry-1.docker.io');
});

for (const [tag, valid] of [
  ['latest', true],
  ['v1.2.3-rc.1_build', true],
  ['_x', true],
  ['UPPER', true],
  ['t'.repeat(128), true],
  ['t'.repeat(129), false],
  ['', false],
  ['.x', false],
  ['-x', false],
  ['a:b', false],
  ['a@b', false],
  ['a/b', false],
  ['é', false],
] as const) {
  helpers(`isValidTag(${JSON.stringify(tag.length > 20 ? `${tag.slice(0, 20)}...` : tag)}) is ${valid}`, () => {
    assert.is(isValidTag(tag), valid);
  });
}

for (const [path, valid] of [
  ['library/alpine', true],
  ['a', true],
  ['a.b/c__d/e---f/g_h', true],
  ['x'.repeat(MAX_REPOSITORY_PATH_LENGTH), true],
  ['x'.repeat(MAX_REPOSITORY_PATH_LENGTH + 1), false],
  ['', false],
  ['Library/alpine', false],
  ['docker.io/library/alpine:3', false],
  ['a//b', false],
  ['a/', false],
  ['a..b', false],
  ['a___b', false],
] as const) {
  helpers(`isValidRepositoryPath(${JSON.stringify(path.length > 20 ? `${path.slice(0, 20)}...` : path)}) is ${valid}`, () => {
    assert.is(isValidRepositoryPath(path), valid);
  });
}

helpers.run();

// ../shared/fixtures/images.txt: every container image in the real-world corpus (README section 4).
const fixture = suite('fixtures/images.txt');
const fixtureUrl = new URL('../../../shared/fixtures/images.txt', import.meta.url);
const fixtureLines = readFileSync(fixtureUrl, 'utf8').split('\n').filter((line) => line !== '');
const INVALID_FIXTURES: ReadonlyMap<string, RegExp> = new Map([
  ['imageValue', /repository name "library\/imageValue" must be lowercase/],
  ['<your-private-image>', /character "<" is not allowed/],
]);
// Docker Hub names are the only ones that change when made canonical.
const DOCKER_HUB_FIXTURES: ReadonlyMap<string, string> = new Map([
  ['busybox:1.37.0', 'docker.io/library/busybox:1.37.0'],
  [
    'busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d',
    'docker.io/library/busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d',
  ],
  ['docker.io/bitnami/kubectl', 'docker.io/bitnami/kubectl'],
  ['docker.io/library/bash', 'docker.io/library/bash'],
  ['docker.io/library/busybox', 'docker.io/library/busybox'],
  ['docker.io/redis:6.0.5', 'docker.io/library/redis:6.0.5'],
  ['grafana/grafana:13.1.3', 'docker.io/grafana/grafana:13.1.3'],
  ['kubernetes/pause', 'docker.io/kubernetes/pause'],
  ['mysql:5.7', 'docker.io/library/mysql:5.7'],
  ['nginx', 'docker.io/library/nginx'],
  ['rabbitmq:4.3.2-management-alpine', 'docker.io/library/rabbitmq:4.3.2-management-alpine'],
  ['redis:alpine', 'docker.io/library/redis:alpine'],
]);

fixture('has the 63 entries the README describes', () => {
  assert.is(fixtureLines.length, 63);
});

for (const line of fixtureLines) {
  fixture(line, () => {
    const invalid = INVALID_FIXTURES.get(line);
    if (invalid !== undefined) {
      const error = catchError(() => parseImageRef(line));
      assert.is(error.code, 'IC_ERR_BAD_REFERENCE');
      assert.match(error.message, invalid);
      return;
    }
    const parsed = parseImageRef(line);
    const canonical = DOCKER_HUB_FIXTURES.get(line);
    if (canonical !== undefined) {
      assert.is(parsed.domain, DOCKER_HUB_DOMAIN);
      assert.is(formatImageRef(parsed), canonical);
    } else {
      // A named registry: already canonical, host = everything before the first "/".
      assert.is(parsed.domain, line.slice(0, line.indexOf('/')));
      assert.is(formatImageRef(parsed), line);
      assert.equal(parseImageRefStrict(line), parsed);
    }
    assert.equal(parseImageRef(familiarImageRef(parsed)), parsed);
  });
}

fixture('breakdown matches README section 4', () => {
  const parsed = fixtureLines.filter((l) => !INVALID_FIXTURES.has(l)).map((l) => parseImageRef(l));
  const byDomain = new Map<string, number>();
  for (const r of parsed) byDomain.set(r.domain, (byDomain.get(r.domain) ?? 0) + 1);
  assert.equal(Object.fromEntries([...byDomain].sort(([a], [b]) => a.localeCompare(b))), {
    '127.0.0.1:31999': 1,
    'docker.io': 12,
    'gcr.io': 15,
    'ghcr.io': 10,
    'mcr.microsoft.com': 1,
    'public.ecr.aws': 1,
    'quay.io': 5,
    'registry.k8s.io': 5,
    'us-central1-docker.pkg.dev': 11,
  });
  assert.is(parsed.filter((r) => r.digest !== undefined && r.tag === undefined).length, 9);
  assert.is(parsed.filter((r) => r.digest !== undefined && r.tag !== undefined).length, 3);
  assert.is(parsed.filter((r) => r.digest === undefined && r.tag === undefined).length, 5);
});

fixture.run();
