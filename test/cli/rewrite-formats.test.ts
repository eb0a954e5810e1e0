/**
 * `image-cloner rewrite --no-pin` on the shapes manifests come in: JSON
 * (pretty and minified), `kind: List`, standard input, several files and a
 * directory, YAML anchors and aliases, comments, block scalars, objects it
 * does not know (byte-identical), invalid references (reported; exit 1 only
 * with --strict), IMAGE_PULL_SECRET from the environment, and usage errors.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { FIXTURE_MANIFESTS, readDocuments, runInProcess } from '../manifest-files/manifest-harness.js';

const BACKUP = 'backup.test/m';
const MYSQL = join(FIXTURE_MANIFESTS, 'kubernetes-website', 'mysql-statefulset.yaml');
const REDIS = join(FIXTURE_MANIFESTS, 'kubernetes-website', 'redis-leader-deployment.yaml');
const API_POD = join(FIXTURE_MANIFESTS, '..', 'kubernetes-api', 'core.v1.Pod.json');
const test = suite('rewrite input formats');
const dir = makeTempDir('rewrite-formats');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function rewrite(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return runInProcess('rewrite', ['--no-pin', '--backup', BACKUP, ...args], options);
}

const mysqlObject = readDocuments(readFileSync(MYSQL, 'utf8'))[0];

test('pretty JSON stays JSON, indented like its neighbours', async () => {
  const file = write('mysql.json', JSON.stringify(mysqlObject, null, 2));
  const result = await rewrite(['-f', file]);
  assert.is(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.is(out.spec.template.spec.containers[0].image, `${BACKUP}/docker.io/library/mysql:5.7`);
  assert.match(result.stdout, /\n {4}"name": "mysql",\n {4}"annotations": \{\n {6}"image-cloner\.io\/original-images": /);
  // Every other line is as JSON.stringify wrote it.
  const inLines = JSON.stringify(mysqlObject, null, 2).split('\n');
  const outLines = result.stdout.split('\n');
  assert.is(outLines.length, inLines.length + 3);
});

test('minified JSON List stays minified JSON, items rewritten', async () => {
  const list = { apiVersion: 'v1', kind: 'List', items: [mysqlObject, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { image: 'nginx' } }] };
  const file = write('list.json', JSON.stringify(list));
  const result = await rewrite(['-f', file]);
  assert.is(result.code, 0, result.stderr);
  assert.not.match(result.stdout, /\n/);
  assert.not.match(result.stdout, /": |, "/, 'no space added to minified JSON');
  const out = JSON.parse(result.stdout);
  assert.is(out.items[0].spec.template.spec.initContainers[1].image, `${BACKUP}/gcr.io/google-samples/xtrabackup:1.0`);
  assert.equal(out.items[1], list.items[1], 'the ConfigMap is untouched');
});

test('YAML List from standard input', async () => {
  const yaml = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a
    annotations: {}
  spec:
    containers:
    - name: c
      image: busybox
- apiVersion: v1
  kind: Service
  metadata:
    name: image
`;
  const result = await rewrite([], { stdin: yaml });
  assert.is(result.code, 0, result.stderr);
  assert.is(
    result.stdout,
    yaml
      .replace('image: busybox', `image: ${BACKUP}/docker.io/library/busybox:latest`)
      .replace('annotations: {}', `annotations: {"image-cloner.io/original-images": '{"c":"busybox"}'}`.replace(`'{"c":"busybox"}'`, JSON.stringify('{"c":"busybox"}'))),
  );
});

test('anchors, aliases, comments, block scalars and quoting survive; an aliased image is replaced, its anchor kept', async () => {
  const yaml = `# kustomize output
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the name
  labels: &labels
    app: web
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      initContainers:
        - name: init
          image: &img "nginx:1.25"   # pinned later
          command: [sh, -c, 'echo image: nginx']
      containers:
        - name: web
          image: *img
          args:
            - |
              image: keep-me
        - name: side
          image: 'quay.io/x/y@sha256:${'a'.repeat(64)}'
      volumes:
        - name: data
          image:
            reference: ghcr.io/o/data:1
---
# a comment-only document
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: not-apps}
spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}
`;
  const result = await rewrite([], { stdin: yaml });
  assert.is(result.code, 0, result.stderr);
  const digest = 'a'.repeat(64);
  const originals = `{"init":"nginx:1.25","side":"quay.io/x/y@sha256:${digest}","volumes/data":"ghcr.io/o/data:1","web":"nginx:1.25"}`;
  const expected = yaml
    .replace('    app: web\nspec:', `    app: web\n  annotations:\n    image-cloner.io/original-images: '${originals}'\nspec:`)
    .replace('&img "nginx:1.25"', `&img "${BACKUP}/docker.io/library/nginx:1.25"`)
    .replace('image: *img', `image: ${BACKUP}/docker.io/library/nginx:1.25`)
    .replace(`'quay.io/x/y@`, `'${BACKUP}/quay.io/x/y@`)
    .replace('reference: ghcr.io/o/data:1', `reference: ${BACKUP}/ghcr.io/o/data:1`);
  assert.is.not(expected, yaml);
  assert.is(result.stdout, expected);
});

test('objects it does not know pass through byte-identical, even with image fields', async () => {
  const crdLike = `apiVersion: caching.internal.knative.dev/v1alpha1
kind: Image
metadata:
  name: queue-proxy
spec:
  image: gcr.io/knative-releases/queue@sha256:${'b'.repeat(64)}
---
apiVersion: v1
kind: ConfigMap
data:
  image: "nginx:1"
---
just: a mapping
---
- a
- list
`;
  const result = await rewrite([], { stdin: crdLike });
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, crdLike);
  const rbd = join(FIXTURE_MANIFESTS, 'kubernetes-examples', 'rbd.yaml');
  const out = await rewrite(['-f', rbd]);
  assert.match(out.stdout, /image: foo/, 'the RBD volume image is no container image');
});

test('invalid references: left alone, reported on stderr, exit 0; exit 1 with --strict', async () => {
  const input = readFileSync(API_POD, 'utf8');
  const relaxed = await rewrite(['-f', API_POD]);
  assert.is(relaxed.code, 0);
  assert.is(relaxed.stdout, input, 'nothing changed, byte for byte');
  assert.match(relaxed.stderr, /Pod\/nameValue: container "nameValue": image "imageValue" left unchanged: .*lowercase/);
  assert.match(relaxed.stderr, /image volume "nameValue": image "referenceValue" left unchanged/);
  const strict = await rewrite(['--strict', '-f', API_POD]);
  assert.is(strict.code, 1);
  assert.is(strict.stdout, input);
  assert.match(strict.stderr, /--strict: 4 invalid references or unreadable pod specs \[IC_ERR_BAD_REFERENCE\]/);
  const clean = await rewrite(['--strict', '-f', MYSQL]);
  assert.is(clean.code, 0, clean.stderr);
});

test('several files and a directory: one YAML stream, --- between inputs, final newline supplied', async () => {
  const sub = join(dir, 'tree');
  mkdirSync(join(sub, 'nested'), { recursive: true });
  writeFileSync(join(sub, 'b.yaml'), readFileSync(REDIS));
  writeFileSync(join(sub, 'a.yml'), readFileSync(MYSQL));
  writeFileSync(join(sub, 'notes.txt'), 'image: nginx\n');
  writeFileSync(join(sub, 'nested', 'c.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: alpine}]}\n');
  const flat = await rewrite(['-f', sub]);
  assert.is(flat.code, 0, flat.stderr);
  assert.is(readDocuments(flat.stdout).length, 2);
  assert.ok(flat.stdout.indexOf('name: mysql') < flat.stdout.indexOf('name: redis-leader'), 'name order');
  // redis-leader-deployment.yaml has no final newline: a separator still starts on its own line.
  const recursive = await rewrite(['-R', '-f', sub]);
  assert.is(readDocuments(recursive.stdout).length, 3);
  assert.match(recursive.stdout, /6379\n---\napiVersion: v1\nkind: Pod/);
  assert.match(recursive.stdout, /image: backup\.test\/m\/docker\.io\/library\/alpine:latest/);
});

test('IMAGE_PULL_SECRET from the environment: appended to a list, or a list added (flow and block)', async () => {
  const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  imagePullSecrets:
  - name: regcred
  containers:
  - name: c
    image: alpine:3
---
apiVersion: v1
kind: Pod
metadata:
  name: q
spec:
  containers: [{name: c, image: alpine:3}]
`;
  const result = await rewrite([], { stdin: yaml, env: { IMAGE_PULL_SECRET: 'backup-pull' } });
  assert.is(result.code, 0, result.stderr);
  const [p, q] = readDocuments(result.stdout) as { spec: { imagePullSecrets: unknown } }[];
  assert.equal(p?.spec.imagePullSecrets, [{ name: 'regcred' }, { name: 'backup-pull' }]);
  assert.equal(q?.spec.imagePullSecrets, [{ name: 'backup-pull' }]);
  assert.match(result.stdout, /  imagePullSecrets:\n  - name: regcred\n  - name: backup-pull\n  containers:/);
});

test('configuration from the environment as serve reads it; flags win', async () => {
  const env = { BACKUP_REGISTRY: 'env.example/p', BACKUP_LAYOUT: 'flat', EXCLUDE_IMAGES: 'docker.io/library/mysql', PIN_DIGESTS: 'false' };
  const fromEnv = await runInProcess('rewrite', ['-f', MYSQL], { env });
  assert.is(fromEnv.code, 0, fromEnv.stderr);
  assert.match(fromEnv.stdout, /image: env\.example\/p\/gcr\.io-google--samples-xtrabackup:1\.0/);
  assert.match(fromEnv.stdout, /image: mysql:5\.7/, 'excluded');
  const flags = await runInProcess('rewrite', ['-f', MYSQL, '--backup', 'flag.example', '--layout', 'nested', '--exclude', 'gcr.io/**'], { env });
  assert.match(flags.stdout, /image: flag\.example\/docker\.io\/library\/mysql:5\.7/);
  assert.match(flags.stdout, /image: gcr\.io\/google-samples\/xtrabackup:1\.0/);
});

test('usage errors exit 2 with IC_ERR_USAGE', async () => {
  const cases: [readonly string[], RegExp][] = [
    [['--no-pin', '-f', MYSQL], /--backup \(BACKUP_REGISTRY\): required/],
    [['--pin', '--no-pin', '--backup', 'b.example', '-f', MYSQL], /--pin and --no-pin exclude each other/],
    [['--no-pin', '--backup', 'b.example', '--layout', 'deep', '-f', MYSQL], /--layout \(BACKUP_LAYOUT\): must be one of nested\|flat/],
    [['--no-pin', '--backup', 'b.example', '-f', join(dir, 'missing.yaml')], /-f .*missing\.yaml: cannot read \(ENOENT\)/],
    [['--no-pin', '--backup', 'b.example', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const result = await runInProcess('rewrite', args);
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /\[IC_ERR_USAGE\]\n$/);
    assert.is(result.stdout, '');
  }
  const help = await runInProcess('rewrite', ['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^usage: image-cloner rewrite /);
  assert.match(help.stdout, /--no-pin .*no network access/);
  const tty = await runInProcess('rewrite', ['--no-pin', '--backup', 'b.example']);
  assert.is(tty.code, 2);
  assert.match(tty.stderr, /standard input is a terminal/);
});

test('not YAML: IC_ERR_BAD_INPUT naming the file and document, nothing on stdout', async () => {
  const file = write('broken.yaml', 'apiVersion: v1\nkind: Pod\n---\nspec: [\n');
  const result = await rewrite(['-f', file]);
  assert.is(result.code, 1);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /broken\.yaml: document 2 is not valid YAML: .*\[IC_ERR_BAD_INPUT\]/);
});

test.run();
