import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findCredentials, parseDockerConfig, type Credentials } from '../../src/core/docker-config.js';
import { isClonerError } from '../../src/core/errors.js';

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function config(auths: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, auths });
}

function entriesOf(text: string): Array<[string, Credentials]> {
  return [...parseDockerConfig(text).entries];
}

function catchError(fn: () => unknown): { readonly code: string; readonly message: string; readonly cause: unknown } {
  try {
    fn();
  } catch (error) {
    if (isClonerError(error)) return { code: error.code, message: error.message, cause: error.cause };
    throw error;
  }
  throw new Error('expected a ClonerError, nothing was thrown');
}

/** No 4-character slice of the secret may appear in the message. */
function assertNoFragment(message: string, secret: string): void {
  for (let i = 0; i + 4 <= secret.length; i++) {
    const fragment = secret.slice(i, i + 4);
    assert.not.ok(message.includes(fragment), `message ${JSON.stringify(message)} holds ${JSON.stringify(fragment)}`);
  }
}

const forms = suite('parseDockerConfig: credential forms');

const formCases: ReadonlyArray<readonly [string, Record<string, unknown>, Credentials | undefined]> = [
  ['auth (base64 user:password)', { auth: b64('ci-bot:s3cr3t') }, { kind: 'basic', username: 'ci-bot', password: 's3cr3t' }],
  ['a password holding colons', { auth: b64('robot$ci:pa:ss:word') }, { kind: 'basic', username: 'robot$ci', password: 'pa:ss:word' }],
  ['a UTF-8 password', { auth: b64('jürgen:pässwörd✓') }, { kind: 'basic', username: 'jürgen', password: 'pässwörd✓' }],
  ['NULs around the password are trimmed (docker/cli decodeAuth)', { auth: b64('u:\u0000pw\u0000\u0000') }, { kind: 'basic', username: 'u', password: 'pw' }],
  ['unpadded base64', { auth: b64('ab:c').replace(/=+$/, '') }, { kind: 'basic', username: 'ab', password: 'c' }],
  ['base64 wrapped over lines', { auth: `${b64('user:a-long-password-').slice(0, 12)}\n${b64('user:a-long-password-').slice(12)}` }, { kind: 'basic', username: 'user', password: 'a-long-password-' }],
  ['an empty password in auth', { auth: b64('user:') }, { kind: 'basic', username: 'user', password: '' }],
  ['username and password fields', { username: 'AWS', password: 'eyJwYXlsb2FkIjoi' }, { kind: 'basic', username: 'AWS', password: 'eyJwYXlsb2FkIjoi' }],
  ['username without password', { username: '_json_key' }, { kind: 'basic', username: '_json_key', password: '' }],
  [
    'auth wins over username/password (docker/cli LoadFromReader)',
    { auth: b64('from-auth:pw1'), username: 'from-fields', password: 'pw2' },
    { kind: 'basic', username: 'from-auth', password: 'pw1' },
  ],
  [
    'identitytoken with the username docker login stores in auth',
    { auth: b64('jane:'), identitytoken: 'eyJhbGciOi.refresh' },
    { kind: 'identity-token', username: 'jane', token: 'eyJhbGciOi.refresh' },
  ],
  [
    'identitytoken with a username field (ACR: 00000000-0000-0000-0000-000000000000)',
    { username: '00000000-0000-0000-0000-000000000000', identitytoken: 'refresh-token' },
    { kind: 'identity-token', username: '00000000-0000-0000-0000-000000000000', token: 'refresh-token' },
  ],
  ['identitytoken alone', { identitytoken: 'refresh-token' }, { kind: 'identity-token', token: 'refresh-token' }],
  ['identitytoken wins over a password', { username: 'u', password: 'p', identitytoken: 't' }, { kind: 'identity-token', username: 'u', token: 't' }],
  ['registrytoken wins over everything', { auth: b64('u:p'), identitytoken: 'i', registrytoken: 'bearer-token' }, { kind: 'registry-token', token: 'bearer-token' }],
  ['unknown fields are ignored', { auth: b64('u:p'), email: 'u@example.com', serveraddress: 'x' }, { kind: 'basic', username: 'u', password: 'p' }],
  ['nothing usable: empty object', {}, undefined],
  ['nothing usable: email only', { email: 'u@example.com' }, undefined],
  ['nothing usable: empty auth', { auth: '' }, undefined],
  ['nothing usable: password without username', { password: 'p' }, undefined],
  ['nothing usable: empty tokens', { identitytoken: '', registrytoken: '' }, undefined],
];

for (const [name, entry, expected] of formCases) {
  forms(name, () => {
    assert.equal(entriesOf(config({ 'quay.io': entry })), expected === undefined ? [] : [['quay.io', expected]]);
  });
}

forms('the Secret kubectl create secret docker-registry writes', () => {
  // kubectl writes username, password, email and auth for each server.
  const secret = '{"auths":{"registry.example.com:5000":{"username":"deploy","password":"p@ss:w0rd","email":"ops@example.com","auth":"ZGVwbG95OnBAc3M6dzByZA=="}}}';
  assert.equal(entriesOf(secret), [['registry.example.com:5000', { kind: 'basic', username: 'deploy', password: 'p@ss:w0rd' }]]);
});

forms('credsStore, credHelpers and other settings are ignored', () => {
  const text = config(
    { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') }, 'gcr.io': {} },
    { credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' }, HttpHeaders: { 'User-Agent': 'x' }, psFormat: 'table' },
  );
  assert.equal(entriesOf(text), [['docker.io', { kind: 'basic', username: 'hubuser', password: 'hubpass' }]]);
});

forms('no auths, null auths, empty auths', () => {
  assert.equal(entriesOf('{}'), []);
  assert.equal(entriesOf('{"auths":null}'), []);
  assert.equal(entriesOf('{"auths":{}}'), []);
  assert.equal(entriesOf('{"credsStore":"osxkeychain"}'), []);
});

forms.run();

const keys = suite('parseDockerConfig: registry keys');

const keyCases: ReadonlyArray<readonly [string, string | undefined]> = [
  ['quay.io', 'quay.io'],
  ['QUAY.IO', 'quay.io'],
  ['localhost:5000', 'localhost:5000'],
  ['http://registry.local:5000', 'registry.local:5000'],
  ['https://ghcr.io/', 'ghcr.io'],
  ['https://Registry.Example.com:8443/v2/', 'registry.example.com:8443'],
  ['harbor.example.com/project', 'harbor.example.com'],
  ['[::1]:5000', '[::1]:5000'],
  ['  10.0.0.7:5000  ', '10.0.0.7:5000'],
  ['https://index.docker.io/v1/', 'docker.io'],
  ['index.docker.io', 'docker.io'],
  ['registry-1.docker.io', 'docker.io'],
  ['docker.io', 'docker.io'],
  ['https://registry-1.docker.io/v2/', 'docker.io'],
  ['', undefined],
  ['https://', undefined],
  ['/v1/', undefined],
];

for (const [key, expected] of keyCases) {
  keys(`${JSON.stringify(key)} -> ${String(expected)}`, () => {
    const credentials: Credentials = { kind: 'basic', username: 'u', password: 'p' };
    assert.equal(entriesOf(config({ [key]: { username: 'u', password: 'p' } })), expected === undefined ? [] : [[expected, credentials]]);
  });
}

const user = (name: string): Credentials => ({ kind: 'basic', username: name, password: 'p' });

const collisions: ReadonlyArray<readonly [string, Record<string, unknown>, string, Credentials]> = [
  ['host-only key beats an earlier repository-scoped key', { 'quay.io/org-a': { username: 'a', password: 'p' }, 'quay.io': { username: 'host', password: 'p' } }, 'quay.io', user('host')],
  ['host-only key beats a later repository-scoped key', { 'quay.io': { username: 'host', password: 'p' }, 'quay.io/org-a': { username: 'a', password: 'p' } }, 'quay.io', user('host')],
  ['two scoped keys: the first', { 'quay.io/org-a': { username: 'a', password: 'p' }, 'quay.io/org-b': { username: 'b', password: 'p' } }, 'quay.io', user('a')],
  ['two Docker Hub spellings: the first', { 'https://index.docker.io/v1/': { username: 'legacy', password: 'p' }, 'docker.io': { username: 'short', password: 'p' } }, 'docker.io', user('legacy')],
  ['an unusable entry does not hide a usable one', { 'quay.io': { email: 'x' }, 'https://quay.io': { username: 'later', password: 'p' } }, 'quay.io', user('later')],
];

for (const [name, auths, host, expected] of collisions) {
  keys(name, () => {
    assert.equal(entriesOf(config(auths)), [[host, expected]]);
  });
}

keys.run();

const lookup = suite('findCredentials');

const lookupConfig = parseDockerConfig(
  config({
    'https://index.docker.io/v1/': { auth: b64('hub:pw') },
    'localhost:5000': { username: 'local', password: 'pw' },
    'quay.io': { identitytoken: 'tok' },
  }),
);

const lookups: ReadonlyArray<readonly [string, Credentials | undefined]> = [
  ['docker.io', { kind: 'basic', username: 'hub', password: 'pw' }],
  ['index.docker.io', { kind: 'basic', username: 'hub', password: 'pw' }],
  ['registry-1.docker.io', { kind: 'basic', username: 'hub', password: 'pw' }],
  ['Docker.IO', { kind: 'basic', username: 'hub', password: 'pw' }],
  ['localhost:5000', { kind: 'basic', username: 'local', password: 'pw' }],
  ['localhost', undefined],
  ['localhost:5001', undefined],
  ['quay.io', { kind: 'identity-token', token: 'tok' }],
  ['ghcr.io', undefined],
];

for (const [domain, expected] of lookups) {
  lookup(`${domain} -> ${expected?.kind ?? 'none'}`, () => {
    assert.equal(findCredentials(lookupConfig, domain), expected);
  });
}

lookup.run();

const errors = suite('parseDockerConfig: errors never hold a credential');

const SECRET_PASSWORD = 'Zq9vT4mWx2LpR7sK';

const errorCases: ReadonlyArray<readonly [string, string, string, string]> = [
  ['top level is an array', '[]', 'docker config must be an object', ''],
  ['top level is null', 'null', 'docker config must be an object', ''],
  ['auths is a string', '{"auths":"quay.io"}', 'auths must be an object', ''],
  ['an entry is a string', config({ 'quay.io': b64(`u:${SECRET_PASSWORD}`) }), 'auths["quay.io"] must be an object', b64(`u:${SECRET_PASSWORD}`)],
  ['auth is a number', config({ 'quay.io': { auth: 12345678 } }), 'auths["quay.io"].auth must be a string', '12345678'],
  ['password is an array', config({ 'quay.io': { username: 'u', password: [SECRET_PASSWORD] } }), 'auths["quay.io"].password must be a string', SECRET_PASSWORD],
  ['auth is not base64', config({ 'quay.io': { auth: `!!${SECRET_PASSWORD}!!` } }), 'auths["quay.io"].auth is not base64 of "user:password"', SECRET_PASSWORD],
  ['auth has no colon', config({ 'quay.io': { auth: b64(SECRET_PASSWORD) } }), 'auths["quay.io"].auth is not base64 of "user:password"', b64(SECRET_PASSWORD)],
  ['auth has an empty username', config({ 'quay.io': { auth: b64(`:${SECRET_PASSWORD}`) } }), 'auths["quay.io"].auth is not base64 of "user:password"', b64(`:${SECRET_PASSWORD}`)],
  [
    'auth is not UTF-8',
    config({ 'quay.io': { auth: Buffer.from([0x75, 0x3a, 0xff, 0xfe, 0x41, 0x42, 0x43, 0x44]).toString('base64') } }),
    'auths["quay.io"].auth is not base64 of "user:password"',
    Buffer.from([0x75, 0x3a, 0xff, 0xfe, 0x41, 0x42, 0x43, 0x44]).toString('base64'),
  ],
  [
    'a bad auth fails the config even when a token is present (as docker does)',
    config({ 'quay.io': { auth: '%%%%', registrytoken: SECRET_PASSWORD } }),
    'auths["quay.io"].auth is not base64 of "user:password"',
    SECRET_PASSWORD,
  ],
  [
    'a very long key is cut',
    config({ [`${'r'.repeat(120)}.example`]: { auth: '####' } }),
    `auths[${JSON.stringify(`${'r'.repeat(100)}...`)}].auth is not base64 of "user:password"`,
    '####',
  ],
];

for (const [name, text, message, secret] of errorCases) {
  errors(name, () => {
    const error = catchError(() => parseDockerConfig(text));
    assert.equal(error, { code: 'IC_ERR_BAD_AUTH_CONFIG', message, cause: undefined });
    if (secret !== '') assertNoFragment(error.message, secret);
  });
}

errors('invalid JSON: no slice of the input in the message', () => {
  // V8 quotes the text around a JSON syntax error; the secret sits right there.
  const auth = b64(`admin:${SECRET_PASSWORD}`);
  const inputs = [`{"auths":{"quay.io":{"auth":"${auth}"}}`, `{"auths":{"quay.io":{"auth":"${auth}" x}}}`, `{"auths":{"quay.io":{"auth":${auth}}}}`, ''];
  for (const input of inputs) {
    const error = catchError(() => parseDockerConfig(input));
    assert.is(error.code, 'IC_ERR_BAD_AUTH_CONFIG');
    assert.match(error.message, /^docker config is not valid JSON(?: \(at position \d+\))?$/);
    assert.is(error.cause, undefined);
    assertNoFragment(error.message, auth);
  }
});

errors.run();
