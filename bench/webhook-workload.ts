/**
 * What bench/webhook.sh admits, and how it checks the answers.
 *
 * Hot path: a real Deployment, argo-cd's argocd-dex-server (a main container
 * and an init container, two distinct images), from
 * ../shared/fixtures/manifests/argo-cd/install.yaml, with only its image
 * strings changed to point at the local source registry (same repository
 * paths and tags), in a CREATE AdmissionReview as the API server sends it.
 *
 * Cold path: N distinct small images, one Pod each.
 *
 * Every review carries the same uid: the server echoes whatever uid it gets,
 * so a fixed one costs it the same work as a fresh one per request (wrk
 * sends a fixed body).
 */
import { toBackupRef } from '../src/core/backup-naming.js';
import type { BackupNaming } from '../src/core/backup-naming.js';
import { formatImageRef, parseImageRef } from '../src/core/reference.js';
import { isRecord, readYamlFixture, reviewFor } from '../test/core/k8s-fixtures.js';
import { readAdmissionResponse } from '../test/helpers/admission-response.js';
import { makeSimpleImage, pushImage } from '../test/helpers/images.js';
import type { TestRegistry } from '../test/helpers/registry-server.js';

export const BENCH_UID = '3b8f2a4e-webhook-bench-0000-000000000001';

export interface Workload {
  readonly title: string;
  /** The AdmissionReview, serialized once. */
  readonly body: string;
  /** JSON Pointer of each image field -> the backup reference the patch must write there. */
  readonly expected: ReadonlyMap<string, string>;
}

const FIXTURE = 'manifests/argo-cd/install.yaml';
const DEPLOYMENT = 'argocd-dex-server';
const NAMESPACE = 'argocd';
const CONTAINER_FIELDS = ['initContainers', 'containers'] as const;

function reviewBody(object: Record<string, unknown>, name: string, namespace: string): string {
  const review = reviewFor(object, { uid: BENCH_UID });
  const request = review['request'];
  // reviewFor's placeholders; the API server sends the object's own.
  if (isRecord(request)) Object.assign(request, { name, namespace });
  return JSON.stringify(review);
}

/** The source image behind each backup reference: pushed now, its digest pinned in the expectation. */
async function pushAs(source: TestRegistry, naming: BackupNaming, localRef: string, seed: string): Promise<string> {
  const ref = parseImageRef(localRef);
  const image = await makeSimpleImage('oci', { seed });
  await pushImage(source, ref.path, ref.tag ?? 'latest', image);
  return formatImageRef({ ...toBackupRef(ref, naming), digest: image.manifest.digest });
}

/** Replaced by a sequence number per request with BENCH_DISTINCT (wrk-admission-distinct.lua). */
const SEQ_MARKER = 'SEQ000000000000';

export async function prepareHotWorkload(source: TestRegistry, naming: BackupNaming, distinct = false): Promise<Workload> {
  const deployment = readYamlFixture(FIXTURE).find(
    (doc) => isRecord(doc) && doc['kind'] === 'Deployment' && isRecord(doc['metadata']) && doc['metadata']['name'] === DEPLOYMENT,
  );
  if (!isRecord(deployment)) throw new Error(`bench: no Deployment ${DEPLOYMENT} in ${FIXTURE}`);
  const template = deployment['spec'];
  const podSpec = isRecord(template) && isRecord(template['template']) ? template['template']['spec'] : undefined;
  if (!isRecord(podSpec)) throw new Error(`bench: ${DEPLOYMENT} has no pod template spec`);
  const expected = new Map<string, string>();
  const backupOf = new Map<string, Promise<string>>();
  for (const field of CONTAINER_FIELDS) {
    const containers = podSpec[field];
    if (!Array.isArray(containers)) continue;
    for (const [index, container] of containers.entries()) {
      if (!isRecord(container) || typeof container['image'] !== 'string') continue;
      const original = parseImageRef(container['image']);
      // Same repository path and tag, served by the local source registry.
      const local = formatImageRef({ ...original, domain: source.host });
      container['image'] = local;
      let backup = backupOf.get(local);
      if (backup === undefined) {
        backup = pushAs(source, naming, local, `hot ${local}`);
        backupOf.set(local, backup);
      }
      expected.set(`/spec/template/spec/${field}/${index}/image`, await backup);
    }
  }
  if (expected.size < 2) throw new Error(`bench: ${DEPLOYMENT} has ${expected.size} image(s), expected at least 2`);
  if (distinct) {
    const metadata = isRecord(deployment['metadata']) ? deployment['metadata'] : {};
    const annotations = isRecord(metadata['annotations']) ? metadata['annotations'] : {};
    deployment['metadata'] = { ...metadata, annotations: { ...annotations, 'bench.image-cloner.io/seq': SEQ_MARKER } };
  }
  const body = reviewBody(deployment, DEPLOYMENT, NAMESPACE);
  const title = `Deployment ${NAMESPACE}/${DEPLOYMENT} (argo-cd install.yaml): ${expected.size} containers ` +
    `(init + main), ${backupOf.size} distinct images; AdmissionReview CREATE of ${(body.length / 1024).toFixed(1)} KiB` +
    (distinct ? '; every request distinct (an annotation numbers it): each one planned, none answered from the answer cache' : '');
  return { title, body, expected };
}

export async function prepareColdWorkloads(source: TestRegistry, naming: BackupNaming, count: number): Promise<Workload[]> {
  const workloads: Workload[] = [];
  for (let i = 0; i < count; i++) {
    const name = `cold-${String(i).padStart(3, '0')}`;
    const local = `${source.host}/bench/${name}:1.0`;
    const backup = await pushAs(source, naming, local, `cold ${i}`);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'bench' },
      spec: { containers: [{ name: 'app', image: local }] },
    };
    workloads.push({ title: name, body: reviewBody(pod, name, 'bench'), expected: new Map([['/spec/containers/0/image', backup]]) });
  }
  return workloads;
}

/** Throws unless `body` is a 200 answer that patches every image to its pinned backup reference. */
export function checkPatched(status: number, body: string, workload: Workload): void {
  if (status !== 200) throw new Error(`bench: ${workload.title}: HTTP ${status}: ${body.slice(0, 300)}`);
  const answer = readAdmissionResponse(body);
  if (answer.uid !== BENCH_UID || !answer.allowed || answer.warnings.length > 0 || answer.patch === undefined) {
    throw new Error(`bench: ${workload.title}: not a clean patch: ${body.slice(0, 500)}`);
  }
  for (const [path, value] of workload.expected) {
    const found = answer.patch.some((op) => isRecord(op) && op['op'] === 'replace' && op['path'] === path && op['value'] === value);
    if (!found) throw new Error(`bench: ${workload.title}: no "replace ${path} = ${value}" in ${JSON.stringify(answer.patch)}`);
  }
}

/** Throws unless `body` is the bare server's fixed answer. */
export function checkAllowed(status: number, body: string): void {
  const answer = status === 200 ? readAdmissionResponse(body) : undefined;
  if (answer?.uid !== BENCH_UID || !answer.allowed) throw new Error(`bench: bare server: HTTP ${status}: ${body.slice(0, 300)}`);
}
