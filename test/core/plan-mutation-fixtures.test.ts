/**
 * The whole decision on the shared third-party fixtures: every workload of
 * the real manifests, the exhaustive kubernetes/api objects, the pepr
 * AdmissionRequest captures and the docs' scale request. Patches are applied
 * with the independent applier in apply-patch.ts.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toBackupRef } from '../../src/core/backup-naming.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import type { MutationPolicy } from '../../src/core/mutation-policy.js';
import { collectImages, planMutation } from '../../src/core/plan-mutation.js';
import type { CopyOutcome, MutationPlan } from '../../src/core/plan-mutation.js';
import { findImageSlots, toWorkloadKind } from '../../src/core/pod-specs.js';
import type { ImageSlot } from '../../src/core/pod-specs.js';
import { formatImageRef, parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { applyPatch } from './apply-patch.js';
import {
  fixturePath,
  groupVersionKind,
  isRecord,
  listFixtures,
  parseRequest,
  readJsonFixture,
  readYamlFixture,
  reviewFor,
  valueAt,
  wrapRequest,
} from './k8s-fixtures.js';
import type { ReviewOptions } from './k8s-fixtures.js';

const D = `sha256:${'d'.repeat(64)}`;
const B = 'backup.example:5000';
const KEY = 'image-cloner.io/original-images';
const policy = parseMutationPolicy({ registry: B });

function decide(review: unknown, p: MutationPolicy = policy): MutationPlan {
  const request = parseRequest(review);
  const outcomes = new Map<string, CopyOutcome>(
    collectImages(request, p).map((c) => [c.key, { status: 'ready', digest: c.source.digest ?? D }]),
  );
  return planMutation(request, p, outcomes);
}

function slotsOf(object: unknown): readonly ImageSlot[] {
  const kind = toWorkloadKind(groupVersionKind(object));
  return kind === undefined ? [] : findImageSlots(kind, object).slots;
}

/** What a valid, external image must have become. */
function expectedBackup(image: string): string {
  const source = withDefaultTag(parseImageRef(image));
  return formatImageRef({ ...toBackupRef(source, policy.naming), digest: source.digest ?? D });
}

/** The patched object with its images and our annotation put back: must equal the original. */
function undo(patched: unknown, original: unknown): unknown {
  const ops = slotsOf(original).map((slot) => ({ op: 'replace', path: slot.path, value: slot.image }));
  const restored = applyPatch(patched, ops);
  if (!isRecord(restored) || !isRecord(restored.metadata) || !isRecord(restored.metadata.annotations)) return restored;
  delete restored.metadata.annotations[KEY];
  const before = isRecord(original) && isRecord(original.metadata) ? original.metadata.annotations : undefined;
  if (before === undefined && Object.keys(restored.metadata.annotations).length === 0) delete restored.metadata.annotations;
  return restored;
}

const manifests = suite('planMutation on every workload in manifests/');

const workloads: { file: string; object: unknown }[] = [];
for (const file of listFixtures('manifests', '.yaml')) {
  for (const object of readYamlFixture(file)) {
    if (toWorkloadKind(groupVersionKind(object)) !== undefined) workloads.push({ file, object });
  }
}

manifests('59 workloads found', () => assert.is(workloads.length, 59));

manifests('CREATE: every valid image rewritten once, tags and digests kept, nothing else changed', () => {
  let rewritten = 0;
  for (const { file, object } of workloads) {
    const result = decide(reviewFor(object));
    const patched = applyPatch(object, result.patch);
    for (const slot of slotsOf(object)) {
      const now = valueAt(patched, slot.path);
      if (slot.image === '<your-private-image>') {
        assert.is(now, slot.image, `${file}: invalid left alone`);
        continue;
      }
      assert.is(now, expectedBackup(slot.image), `${file} ${slot.path}`);
      const source = parseImageRef(slot.image);
      const target = parseImageRef(String(now));
      if (source.tag !== undefined) assert.is(target.tag, source.tag);
      if (source.digest !== undefined) assert.is(target.digest, source.digest);
      rewritten += 1;
    }
    assert.equal(undo(patched, object), object, `${file}: only image paths and the annotation change`);
    const expectWarnings = slotsOf(object).some((s) => s.image === '<your-private-image>') ? 1 : 0;
    assert.is(result.warnings.length, expectWarnings, `${file}: ${result.warnings.join(' | ')}`);
  }
  assert.is(rewritten, 73, "74 container images in 59 workloads, one of them the invalid placeholder");
});

manifests('idempotent: planning the patched object changes nothing', () => {
  for (const { file, object } of workloads) {
    const patched = applyPatch(object, decide(reviewFor(object)).patch);
    assert.equal(decide(reviewFor(patched)).patch, [], file);
    assert.equal(decide(reviewFor(patched, { operation: 'UPDATE', oldObject: patched })).patch, [], file);
  }
});

manifests('UPDATE with only a scale or label change: no patch, no copy', () => {
  for (const { file, object } of workloads) {
    if (!isRecord(object) || !isRecord(object.metadata)) continue;
    const changed = { ...object, metadata: { ...object.metadata, labels: { touched: 'yes' } } };
    const options: ReviewOptions = { operation: 'UPDATE', oldObject: object };
    assert.equal(collectImages(parseRequest(reviewFor(changed, options)), policy), [], file);
    assert.equal(decide(reviewFor(changed, options)).patch, [], file);
  }
});

const api = suite('planMutation on the kubernetes/api round-trip objects');

const apiFiles = listFixtures('kubernetes-api', '.json').filter((f) => !f.includes('AdmissionReview'));

api('placeholder images are invalid: warnings, no patch; the ReplicaSet (controller-owned) is skipped', () => {
  for (const file of apiFiles) {
    const object = readJsonFixture(file);
    const result = decide(reviewFor(object));
    assert.equal(result.patch, [], file);
    if (file.includes('ReplicaSet')) {
      assert.is(result.skipped, 'controller-owned');
      continue;
    }
    assert.equal(result.images.map((i) => i.status), ['invalid', 'invalid', 'invalid', 'invalid'], file);
    assert.is(result.warnings.length, 4, file);
  }
});

api('with valid images: the patch applies, only image paths and the annotation change, every other field survives', () => {
  for (const file of apiFiles.filter((f) => !f.includes('ReplicaSet'))) {
    const original = readJsonFixture(file);
    const valid = applyPatch(original, slotsOf(original).map((s) => ({ op: 'replace', path: s.path, value: 'quay.io/org/app:1' })));
    const result = decide(reviewFor(valid));
    assert.is(result.patch.length, 5, file);
    const patched = applyPatch(valid, result.patch);
    assert.equal(undo(patched, valid), valid, file);
    const annotations = isRecord(patched) && isRecord(patched.metadata) ? patched.metadata.annotations : undefined;
    assert.ok(isRecord(annotations) && annotations.annotationsKey === 'annotationsValue', 'existing annotations kept');
    assert.is(decide(reviewFor(patched)).patch.length, 0, `${file}: idempotent`);
  }
});

const admission = suite('planMutation on the admission/ captures');

admission('pepr CREATE Pod: the 127.0.0.1:31999 image goes to the backup with its port encoded', () => {
  const result = decide(wrapRequest(readJsonFixture('admission/pepr-admission-create-pod.json')));
  assert.equal(
    result.images.map((i) => (i.status === 'rewritten' ? i.image : i.status)),
    [`${B}/127.0.0.1_31999/stefanprodan/podinfo-2985051089:6.1.6@${D}`],
  );
  assert.equal(result.patch[1], {
    op: 'add',
    path: '/metadata/annotations/image-cloner.io~1original-images',
    value: '{"podinfo":"127.0.0.1:31999/stefanprodan/podinfo-2985051089:6.1.6"}',
  });
});

admission('pepr CREATE Pod, when 127.0.0.1:31999 is the backup registry (Zarf already rewrote it): nothing to do', () => {
  const zarf = parseMutationPolicy({ registry: '127.0.0.1:31999' });
  const request = parseRequest(wrapRequest(readJsonFixture('admission/pepr-admission-create-pod.json')));
  assert.equal(collectImages(request, zarf), []);
  const result = planMutation(request, zarf, new Map());
  assert.equal(result.patch, []);
  assert.equal(result.images.map((i) => i.status), ['in-backup']);
});

admission('pepr CREATE Deployment: nginx rewritten, the annotations map added whole', () => {
  const raw = readJsonFixture('admission/pepr-admission-create-deployment.json');
  const result = decide(wrapRequest(raw));
  assert.equal(result.patch, [
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${B}/docker.io/library/nginx:latest@${D}` },
    { op: 'add', path: '/metadata/annotations', value: { [KEY]: '{"nginx":"nginx"}' } },
  ]);
  const object = isRecord(raw) ? raw.object : undefined;
  assert.ok(isRecord(applyPatch(object, result.patch)));
});

admission('pepr DELETE Pod: no object, no patch', () => {
  const result = decide(wrapRequest(readJsonFixture('admission/pepr-admission-delete-pod.json')));
  assert.is(result.skipped, 'operation');
  assert.equal(result.patch, []);
});

admission("the docs' UPDATE of deployments/scale: not a pod spec, no patch", () => {
  const review = parseYaml(readFileSync(fixturePath('admission/v1-request-update-deployment-scale.yaml'), 'utf8'));
  const result = decide(review);
  assert.is(result.skipped, 'not-a-workload');
  assert.equal(result.patch, []);
});

manifests.run();
api.run();
admission.run();
