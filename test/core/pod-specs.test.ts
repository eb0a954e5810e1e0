import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findImageSlots, podSpecTokens, toWorkloadKind, WORKLOAD_KINDS } from '../../src/core/pod-specs.js';
import type { ImageSlot, WorkloadKind } from '../../src/core/pod-specs.js';
import {
  fixturePath,
  groupVersionKind,
  isRecord,
  listFixtures,
  readJsonFixture,
  readYamlFixture,
  valueAt,
} from './k8s-fixtures.js';

const podSpec = {
  initContainers: [{ name: 'init', image: 'busybox:1.37.0' }],
  containers: [
    { name: 'web', image: 'nginx:1.25', env: [{ name: 'SIDE_IMAGE', value: 'redis:7' }] },
    { name: 'no-image' },
    { name: 'null-image', image: null },
  ],
  ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
  volumes: [
    { name: 'rbd', rbd: { image: 'foo', monitors: ['10.0.0.1:6789'] } },
    { name: 'models', image: { reference: 'ghcr.io/org/models:v1', pullPolicy: 'IfNotPresent' } },
    { name: 'cfg', configMap: { name: 'image' } },
  ],
};

function wrap(kind: WorkloadKind, spec: unknown): unknown {
  const tokens = podSpecTokens(kind);
  let object: unknown = spec;
  for (const token of [...tokens].reverse()) object = { [token]: object };
  return { apiVersion: 'x', kind, metadata: { name: 'n' }, status: { containerStatuses: [{ image: 'status:1' }] }, ...(isRecord(object) ? object : {}) };
}

const slots = suite('findImageSlots');

const prefixes: Readonly<Record<WorkloadKind, string>> = {
  Pod: '/spec',
  PodTemplate: '/template/spec',
  ReplicationController: '/spec/template/spec',
  Deployment: '/spec/template/spec',
  ReplicaSet: '/spec/template/spec',
  StatefulSet: '/spec/template/spec',
  DaemonSet: '/spec/template/spec',
  Job: '/spec/template/spec',
  CronJob: '/spec/jobTemplate/spec/template/spec',
};

for (const kind of WORKLOAD_KINDS) {
  slots(`${kind}: every image slot at ${prefixes[kind]}, nothing else`, () => {
    const p = prefixes[kind];
    const got = findImageSlots(kind, wrap(kind, podSpec));
    assert.equal(got.problems, []);
    const want: ImageSlot[] = [
      { path: `${p}/initContainers/0/image`, image: 'busybox:1.37.0', container: 'init', field: 'initContainers' },
      { path: `${p}/containers/0/image`, image: 'nginx:1.25', container: 'web', field: 'containers' },
      { path: `${p}/ephemeralContainers/0/image`, image: 'busybox', container: 'debug', field: 'ephemeralContainers' },
      { path: `${p}/volumes/1/image/reference`, image: 'ghcr.io/org/models:v1', container: 'models', field: 'imageVolume' },
    ];
    assert.equal(got.slots, want);
  });
}

const shapes: readonly { name: string; object: unknown; problems: string[] }[] = [
  { name: 'no spec at all', object: { metadata: {} }, problems: [] },
  { name: 'null spec', object: { spec: null }, problems: [] },
  { name: 'object is a list', object: [], problems: ['object is not an object'] },
  { name: 'spec is a string', object: { spec: 'x' }, problems: ['spec is not an object'] },
  { name: 'containers is an object', object: { spec: { containers: { a: 1 } } }, problems: ['spec.containers is not a list'] },
  { name: 'container is a string', object: { spec: { containers: ['nginx'] } }, problems: ['spec.containers[0] is not an object'] },
  { name: 'image is a number', object: { spec: { containers: [{ name: 'a', image: 5 }] } }, problems: ['spec.containers[0].image is not a string'] },
  { name: 'no name', object: { spec: { containers: [{ image: 'nginx' }] } }, problems: ['spec.containers[0] has no name'] },
  { name: 'empty image is no slot', object: { spec: { containers: [{ name: 'a', image: '' }] } }, problems: [] },
  { name: 'image volume without reference', object: { spec: { volumes: [{ name: 'v', image: {} }] } }, problems: [] },
  { name: 'image volume of a bad shape', object: { spec: { volumes: [{ name: 'v', image: 'x' }] } }, problems: ['spec.volumes[0].image.reference is not a string'] },
];
for (const c of shapes) {
  slots(`shape: ${c.name}`, () => {
    const got = findImageSlots('Pod', c.object);
    assert.equal(got.problems, c.problems);
    assert.equal(got.slots, []);
  });
}

slots('a CronJob whose jobTemplate is not an object', () => {
  assert.equal(findImageSlots('CronJob', { spec: { jobTemplate: 3 } }).problems, ['spec.jobTemplate is not an object']);
});

slots('JSON Pointer tokens are escaped (RFC 6901)', () => {
  // No pod spec field needs it today, but names come from outside: check the pointer stays exact.
  const got = findImageSlots('Pod', { spec: { containers: [{ name: 'a/b~c', image: 'nginx' }] } });
  assert.is(got.slots[0]?.path, '/spec/containers/0/image');
  assert.is(got.slots[0]?.container, 'a/b~c');
});

const kinds = suite('toWorkloadKind');
const kindCases: readonly [string, string, WorkloadKind | undefined][] = [
  ['', 'Pod', 'Pod'],
  ['', 'PodTemplate', 'PodTemplate'],
  ['', 'ReplicationController', 'ReplicationController'],
  ['apps', 'Deployment', 'Deployment'],
  ['apps', 'StatefulSet', 'StatefulSet'],
  ['batch', 'CronJob', 'CronJob'],
  ['example.com', 'Deployment', undefined], // a CRD named like a workload
  ['apps', 'Pod', undefined],
  ['autoscaling', 'Scale', undefined],
  ['caching.internal.knative.dev', 'Image', undefined],
  ['', 'ConfigMap', undefined],
];
for (const [group, kind, want] of kindCases) {
  kinds(`${group}/${kind}`, () => assert.is(toWorkloadKind({ group, kind }), want));
}

const fixtures = suite('findImageSlots on the shared fixtures');

fixtures('kubernetes-api: every list and the image volume, never rbd or status', () => {
  const files = listFixtures('kubernetes-api', '.json').filter((f) => !f.includes('AdmissionReview'));
  assert.is(files.length, 9);
  for (const file of files) {
    const object = readJsonFixture(file);
    const kind = toWorkloadKind(groupVersionKind(object));
    assert.ok(kind !== undefined, file);
    const got = findImageSlots(kind, object);
    assert.equal(got.problems, [], file);
    const p = prefixes[kind];
    assert.equal(
      got.slots.map((s) => [s.field, s.path, s.image]),
      [
        ['initContainers', `${p}/initContainers/0/image`, 'imageValue'],
        ['containers', `${p}/containers/0/image`, 'imageValue'],
        ['ephemeralContainers', `${p}/ephemeralContainers/0/image`, 'imageValue'],
        ['imageVolume', `${p}/volumes/0/image/reference`, 'referenceValue'],
      ],
      file,
    );
    for (const slot of got.slots) assert.is(valueAt(object, slot.path), slot.image, `${file} ${slot.path}`);
  }
});

/**
 * An independent cross-check, as the fixtures README describes: every map
 * anywhere in a workload document holding a list named like a container
 * list; its elements' `image` paths must be exactly the container slots.
 */
function structuralImagePaths(node: unknown, path: string, out: Set<string>): Set<string> {
  if (Array.isArray(node)) node.forEach((item, i) => structuralImagePaths(item, `${path}/${i}`, out));
  if (!isRecord(node)) return out;
  for (const [key, value] of Object.entries(node)) {
    if (['containers', 'initContainers', 'ephemeralContainers'].includes(key) && Array.isArray(value)) {
      value.forEach((c, i) => {
        if (isRecord(c) && typeof c.image === 'string') out.add(`${path}/${key}/${i}/image`);
      });
    }
    structuralImagePaths(value, `${path}/${key}`, out);
  }
  return out;
}

fixtures('manifests: each container image found once per slot, nothing else named image', () => {
  const files = listFixtures('manifests', '.yaml');
  assert.is(files.length, 21);
  const all = new Set<string>();
  let workloads = 0;
  for (const file of files) {
    for (const object of readYamlFixture(file)) {
      const gvk = groupVersionKind(object);
      const kind = toWorkloadKind(gvk);
      if (kind === undefined) continue; // ConfigMaps, CRDs, Knative Image, webhook configurations...
      workloads += 1;
      const got = findImageSlots(kind, object);
      assert.equal(got.problems, [], file);
      const paths = got.slots.map((s) => s.path);
      assert.is(new Set(paths).size, paths.length, `${file}: a slot twice`);
      assert.equal(new Set(paths), structuralImagePaths(object, '', new Set()), `${file} ${gvk.kind}`);
      for (const slot of got.slots) {
        assert.is(valueAt(object, slot.path), slot.image);
        assert.ok(!slot.path.includes('/env/') && !slot.path.includes('/rbd/'), slot.path);
        all.add(slot.image);
      }
    }
  }
  assert.is(workloads, 59); // 46 Deployments, 5 StatefulSets, 3 Jobs, 3 Pods, 2 DaemonSets
  assert.ok(!all.has('foo'), 'the RBD volume image is not a container image');
  assert.ok(!all.has('{{ .ProxyImage }}'), 'Istio template strings are not touched');
});

fixtures('the images found are exactly images.txt', () => {
  const found = new Set<string>();
  const add = (object: unknown): void => {
    if (!isRecord(object) || object.kind === undefined) return; // pepr's CREATE carries an empty oldObject
    const kind = toWorkloadKind(groupVersionKind(object));
    if (kind === undefined) return;
    for (const slot of findImageSlots(kind, object).slots) if (slot.field !== 'imageVolume') found.add(slot.image);
  };
  for (const file of listFixtures('manifests', '.yaml')) readYamlFixture(file).forEach(add);
  for (const file of listFixtures('kubernetes-api', '.json')) add(readJsonFixture(file));
  for (const file of listFixtures('admission', '.json').filter((f) => f.includes('pepr-'))) {
    const request = readJsonFixture(file);
    if (isRecord(request)) {
      add(request.object);
      add(request.oldObject);
    }
  }
  const want = readFileSync(fixturePath('images.txt'), 'utf8').split('\n').filter((line) => line !== '');
  assert.is(want.length, 63);
  assert.equal([...found].sort(), [...want].sort());
});

slots.run();
kinds.run();
fixtures.run();
