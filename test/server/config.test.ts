import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import { BadConfigError, DEFAULT_MAX_REQUEST_BYTES, parseServeConfig } from '../../src/server/config.js';
import type { Env } from '../../src/server/config.js';

const MINIMAL: Env = {
  BACKUP_REGISTRY: 'backup.example:5000',
  TLS_CERT_FILE: '/tls/tls.crt',
  TLS_KEY_FILE: '/tls/tls.key',
};

function problemsOf(env: Env): readonly string[] {
  try {
    parseServeConfig(env);
  } catch (error) {
    if (error instanceof BadConfigError) {
      assert.is(error.code, 'IC_ERR_BAD_CONFIG');
      assert.ok(isClonerError(error));
      for (const problem of error.problems) assert.ok(error.message.includes(problem), 'the message lists it');
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected a BadConfigError');
}

const config = suite('parseServeConfig');

config('defaults: only the required variables set', () => {
  const got = parseServeConfig(MINIMAL);
  assert.equal(got, {
    policy: parseMutationPolicy({ registry: 'backup.example:5000' }),
    backupEndpoint: undefined,
    tls: { kind: 'files', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
    port: 8443,
    registryAuthFile: undefined,
    registryCaFiles: [],
    insecureRegistries: [],
    copyBudgetMs: 7_000,
    copyConcurrency: 4,
    copyJobs: 8,
    copyReferrers: true,
    cacheTagTtlMs: 300_000,
    copyRetryMs: 30_000,
    shutdownGraceMs: 25_000,
    logLevel: 'info',
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
  });
  assert.is(DEFAULT_MAX_REQUEST_BYTES, 7 * 1024 * 1024);
  assert.is(got.policy.pinDigests, true);
  assert.is(got.policy.strict, false);
  assert.is(got.policy.annotationKey, 'image-cloner.io/original-images');
  assert.ok(Object.isFrozen(got));
});

config('every variable set: the exact config', () => {
  const got = parseServeConfig({
    BACKUP_REGISTRY: 'localhost:5001/mirror',
    BACKUP_REGISTRY_ENDPOINT: 'http://Kind-Registry:5000',
    TLS_CERT_FILE: '/tls/tls.crt',
    TLS_KEY_FILE: '/tls/tls.key',
    PORT: '9443',
    REGISTRY_AUTH_FILE: '/auth/.dockerconfigjson',
    REGISTRY_CA_FILE: '/ca/a.pem, /ca/b.pem,',
    INSECURE_REGISTRIES: 'Registry.Local:5000,10.0.0.1',
    BACKUP_LAYOUT: 'FLAT',
    EXCLUDE_IMAGES: 'registry.k8s.io/**, docker.io/library/*',
    PIN_DIGESTS: 'no',
    STRICT: 'Yes',
    COPY_BUDGET_SECONDS: '2.5',
    COPY_CONCURRENCY: '2',
    COPY_JOBS: '3',
    COPY_REFERRERS: 'false',
    CACHE_TAG_TTL_SECONDS: '60',
    COPY_RETRY_SECONDS: '5',
    ANNOTATION_KEY: 'example.com/originals',
    IMAGE_PULL_SECRET: 'backup-pull',
    SHUTDOWN_GRACE_SECONDS: '10',
    LOG_LEVEL: 'debug',
    MAX_REQUEST_BYTES: '1048576',
    UNRELATED: 'ignored',
  });
  assert.equal(got, {
    policy: parseMutationPolicy({
      registry: 'localhost:5001',
      prefix: 'mirror',
      layout: 'flat',
      alsoKnownAs: ['kind-registry:5000'],
      exclude: ['registry.k8s.io/**', 'docker.io/library/*'],
      pinDigests: false,
      strict: true,
      annotationKey: 'example.com/originals',
      imagePullSecret: 'backup-pull',
    }),
    backupEndpoint: { host: 'kind-registry:5000', insecure: true },
    tls: { kind: 'files', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
    port: 9443,
    registryAuthFile: '/auth/.dockerconfigjson',
    registryCaFiles: ['/ca/a.pem', '/ca/b.pem'],
    insecureRegistries: ['registry.local:5000', '10.0.0.1'],
    copyBudgetMs: 2_500,
    copyConcurrency: 2,
    copyJobs: 3,
    copyReferrers: false,
    cacheTagTtlMs: 60_000,
    copyRetryMs: 5_000,
    shutdownGraceMs: 10_000,
    logLevel: 'debug',
    maxRequestBytes: 1_048_576,
  });
});

config('endpoint forms: https and no scheme are secure, http is insecure', () => {
  const endpoint = (value: string) => parseServeConfig({ ...MINIMAL, BACKUP_REGISTRY_ENDPOINT: value }).backupEndpoint;
  assert.equal(endpoint('https://push.example:443/'), { host: 'push.example:443', insecure: false });
  assert.equal(endpoint('push.example'), { host: 'push.example', insecure: false });
  assert.equal(endpoint('HTTP://[::1]:5000'), { host: '[::1]:5000', insecure: true });
  // A host that an image reference would read as a Docker Hub namespace is no alias.
  assert.equal(parseServeConfig({ ...MINIMAL, BACKUP_REGISTRY_ENDPOINT: 'http://registry' }).policy.alsoKnownAs, []);
});

config('booleans: true/false/1/0/yes/no in any case; empty values count as unset', () => {
  const cases = [
    ['true', true], ['TRUE', true], ['1', true], ['yes', true],
    ['false', false], ['0', false], ['No', false], ['', false], ['  ', false],
  ] as const;
  for (const [value, expected] of cases) {
    assert.is(parseServeConfig({ ...MINIMAL, STRICT: value }).policy.strict, expected, value);
  }
  assert.is(parseServeConfig({ ...MINIMAL, PORT: '' }).port, 8443);
  assert.is(parseServeConfig({ ...MINIMAL, PORT: '0' }).port, 0, 'port 0: any free port (tests)');
});

config('several problems: ONE error that lists every one of them', () => {
  const problems = problemsOf({
    BACKUP_REGISTRY: 'https://backup.example',
    TLS_CERT_FILE: '',
    PORT: '70000',
    STRICT: 'maybe',
    COPY_BUDGET_SECONDS: '30',
    EXCLUDE_IMAGES: 'nginx',
    INSECURE_REGISTRIES: 'ok.example,bad host',
    LOG_LEVEL: 'verbose',
    ANNOTATION_KEY: 'Not A Key!',
    BACKUP_REGISTRY_ENDPOINT: 'ftp://x/y',
  });
  const expectations: readonly [string, RegExp][] = [
    ['TLS_CERT_FILE', /^TLS_CERT_FILE\/TLS_KEY_FILE: required outside Kubernetes/],
    ['PORT', /^PORT: must be a whole number from 0 to 65535, got "70000"/],
    ['STRICT', /^STRICT: must be true or false/],
    ['COPY_BUDGET_SECONDS', /^COPY_BUDGET_SECONDS: must be a number of seconds at least 0 and below 30/],
    ['EXCLUDE_IMAGES', /^EXCLUDE_IMAGES: exclude pattern "nginx" must name the registry/],
    ['INSECURE_REGISTRIES', /^INSECURE_REGISTRIES: not HOST\[:PORT\]: "bad host"$/],
    ['LOG_LEVEL', /^LOG_LEVEL: must be one of debug\|info\|warn\|error/],
    ['ANNOTATION_KEY', /^ANNOTATION_KEY: annotation key "Not A Key!"/],
    ['BACKUP_REGISTRY', /^BACKUP_REGISTRY: "https:\/\/backup.example" must not have a scheme/],
    ['BACKUP_REGISTRY_ENDPOINT', /^BACKUP_REGISTRY_ENDPOINT: "ftp:\/\/x\/y" is not/],
  ];
  for (const [name, pattern] of expectations) {
    assert.ok(problems.some((p) => pattern.test(p)), `${name} reported: ${problems.join(' | ')}`);
  }
});

config('IMAGE_PULL_SECRET: unset by default, a Secret name when set, else one problem naming it', () => {
  assert.is(parseServeConfig(MINIMAL).policy.imagePullSecret, undefined);
  assert.is(parseServeConfig({ ...MINIMAL, IMAGE_PULL_SECRET: '' }).policy.imagePullSecret, undefined, 'empty is unset');
  assert.is(parseServeConfig({ ...MINIMAL, IMAGE_PULL_SECRET: ' regcred ' }).policy.imagePullSecret, 'regcred');
  for (const value of ['Bad_Name', 'regcred-', 'x'.repeat(254)]) {
    const problems = problemsOf({ ...MINIMAL, IMAGE_PULL_SECRET: value });
    assert.equal(problems, [`IMAGE_PULL_SECRET: image pull secret ${JSON.stringify(value)} is not a valid Secret name (RFC 1123 subdomain)`]);
  }
  // Listed together with the problems of other variables.
  const problems = problemsOf({ ...MINIMAL, IMAGE_PULL_SECRET: 'Bad_Name', ANNOTATION_KEY: 'a/b/c' });
  assert.is(problems.length, 2, problems.join(' | '));
  assert.ok(problems.some((p) => p.startsWith('IMAGE_PULL_SECRET: ')) && problems.some((p) => p.startsWith('ANNOTATION_KEY: ')));
});

config('missing BACKUP_REGISTRY, and TLS files outside a cluster: two problems', () => {
  const problems = problemsOf({});
  assert.is(problems.length, 2, problems.join(' | '));
  assert.match(problems[0] ?? '', /^BACKUP_REGISTRY: required/);
  assert.match(problems[1] ?? '', /^TLS_CERT_FILE\/TLS_KEY_FILE: required outside Kubernetes/);
});

config('only one of the TLS files: a problem', () => {
  const { TLS_KEY_FILE: _key, ...withoutKey } = MINIMAL;
  assert.equal(problemsOf(withoutKey), ['TLS_CERT_FILE/TLS_KEY_FILE: set both (mounted certificate) or neither (self-managed)']);
});

config('no TLS files in a cluster: the certificate is self-managed, with defaults matching the manifests', () => {
  const { TLS_CERT_FILE: _cert, TLS_KEY_FILE: _key, ...inCluster } = MINIMAL;
  const got = parseServeConfig({ ...inCluster, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' });
  assert.equal(got.tls, {
    kind: 'managed',
    secretName: 'image-cloner-certs',
    webhookConfigurationName: 'image-cloner',
    serviceName: 'image-cloner',
    namespace: undefined,
    apiHost: '10.96.0.1',
    apiPort: '443',
    checkIntervalMs: 600_000,
  });
  const named = parseServeConfig({
    ...inCluster,
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    CERT_SECRET_NAME: 'my-certs',
    POD_NAMESPACE: 'mirror',
    CERT_CHECK_SECONDS: '60',
  });
  assert.equal(named.tls.kind === 'managed' ? [named.tls.secretName, named.tls.namespace, named.tls.checkIntervalMs] : [], [
    'my-certs',
    'mirror',
    60_000,
  ]);
  assert.match(problemsOf({ ...inCluster, KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1', CERT_SECRET_NAME: 'Bad_Name' })[0] ?? '', /^CERT_SECRET_NAME: must be a Kubernetes object name/);
});

config('backup naming problems are named after BACKUP_REGISTRY', () => {
  const bare = problemsOf({ ...MINIMAL, BACKUP_REGISTRY: 'backup' })[0] ?? '';
  assert.match(bare, /^BACKUP_REGISTRY: backup registry "backup" is not HOST\[:PORT\]/);
  assert.match(problemsOf({ ...MINIMAL, BACKUP_LAYOUT: 'flat' })[0] ?? '', /^BACKUP_REGISTRY: the flat layout needs a prefix/);
  assert.match(problemsOf({ ...MINIMAL, BACKUP_REGISTRY: 'backup.example/Bad_Prefix' })[0] ?? '', /backup prefix/);
});

config('bounds: budget below 30 s, counts at least 1, request limit at least 64 KiB', () => {
  assert.is(parseServeConfig({ ...MINIMAL, COPY_BUDGET_SECONDS: '29.9' }).copyBudgetMs, 29_900);
  assert.is(parseServeConfig({ ...MINIMAL, COPY_BUDGET_SECONDS: '0' }).copyBudgetMs, 0);
  const bad = [
    ['COPY_BUDGET_SECONDS', '-1'],
    ['COPY_CONCURRENCY', '0'],
    ['COPY_JOBS', '65'],
    ['MAX_REQUEST_BYTES', '1000'],
    ['SHUTDOWN_GRACE_SECONDS', 'soon'],
    ['PORT', '8443.5'],
  ] as const;
  for (const [name, value] of bad) {
    const problems = problemsOf({ ...MINIMAL, [name]: value });
    assert.is(problems.length, 1, `${name}=${value}`);
    assert.ok(problems[0]?.startsWith(`${name}: `), problems[0]);
  }
});

config.run();
