/**
 * Where pod specs live in each workload kind, and the image slots in a pod
 * spec: `containers[].image`, `initContainers[].image`,
 * `ephemeralContainers[].image` and image volumes
 * (`volumes[].image.reference`, KEP-4639). Nothing else named "image" is a
 * slot: not `status.*containerStatuses[].image`, not `volumes[].rbd.image`,
 * not env values or ConfigMap data, and no custom resource.
 *
 * Objects reach a mutating webhook before API validation (CLUSTER-NOTES
 * 1.8), so every field read is checked; a wrong shape becomes a problem
 * string, never an exception.
 */
import { isJsonObject } from './json-object.js';
import { formatPointer } from './json-patch.js';

export type WorkloadKind =
  | 'Pod'
  | 'PodTemplate'
  | 'ReplicationController'
  | 'Deployment'
  | 'ReplicaSet'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'Job'
  | 'CronJob';

export type ImageField = 'containers' | 'initContainers' | 'ephemeralContainers' | 'imageVolume';

export interface ImageSlot {
  /** RFC 6901 JSON Pointer to the image string. */
  readonly path: string;
  readonly image: string;
  /** The container's name, or the volume's for an image volume. */
  readonly container: string;
  readonly field: ImageField;
}

export interface ImageSlotScan {
  readonly slots: readonly ImageSlot[];
  /** Shapes that are not a pod spec; the caller then changes nothing. */
  readonly problems: readonly string[];
}

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
];

/** API group of each kind; a kind of the same name in another group (a CRD) is not ours. */
const WORKLOAD_GROUPS: Readonly<Record<WorkloadKind, string>> = {
  Pod: '',
  PodTemplate: '',
  ReplicationController: '',
  Deployment: 'apps',
  ReplicaSet: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
};

/** Path from the object to its pod spec (API reference of each kind). */
const POD_SPEC_TOKENS: Readonly<Record<WorkloadKind, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

// Plain type checks (isJsonObject and these), not zod, on purpose: this walk
// runs on every admission, and a zod record schema copies every object it
// checks. It reads a handful of fields and validates each one it reads.

/** A string, or absent (undefined/null); `false` for anything else (a wrong shape). */
function optionalString(value: unknown): string | null | undefined | false {
  return value === undefined || value === null || typeof value === 'string' ? value : false;
}

function nameOf(element: Readonly<Record<string, unknown>>): string | undefined {
  const name = element['name'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * The workload kind of a GVK, any version: apps/v1 and batch/v1 are the
 * only served versions today, and older ones had the same pod spec paths.
 */
export function toWorkloadKind(gvk: { readonly group: string; readonly kind: string }): WorkloadKind | undefined {
  return WORKLOAD_KINDS.find((kind) => kind === gvk.kind && WORKLOAD_GROUPS[kind] === gvk.group);
}

export function podSpecTokens(kind: WorkloadKind): readonly string[] {
  return POD_SPEC_TOKENS[kind];
}

/** Every image slot of the object's pod spec, in document order of the lists. */
export function findImageSlots(kind: WorkloadKind, object: unknown): ImageSlotScan {
  const slots: ImageSlot[] = [];
  const problems: string[] = [];
  const specTokens = POD_SPEC_TOKENS[kind];
  let node: unknown = object;
  for (let depth = 0; depth < specTokens.length; depth += 1) {
    if (!isJsonObject(node)) {
      problems.push(`${dotted(specTokens.slice(0, depth)) || 'object'} is not an object`);
      return { slots, problems };
    }
    node = node[specTokens[depth] ?? ''];
    if (node === undefined || node === null) return { slots, problems };
  }
  if (!isJsonObject(node)) return { slots, problems: [`${dotted(specTokens)} is not an object`] };
  const spec = node;

  for (const field of CONTAINER_FIELDS) {
    forEachElement(spec[field], [...specTokens, field], problems, (element, tokens) => {
      const image = optionalString(element['image']);
      // `image` is optional in templates: "to allow higher level config
      // management to default or override container images" (core/v1 Container).
      if (image === false) return `${dotted(tokens)}.image is not a string`;
      if (image === undefined || image === null || image === '') return undefined;
      const name = nameOf(element);
      if (name === undefined) return `${dotted(tokens)} has no name`;
      slots.push({ path: formatPointer([...tokens, 'image']), image, container: name, field });
      return undefined;
    });
  }
  forEachElement(spec['volumes'], [...specTokens, 'volumes'], problems, (element, tokens) => {
    const volume = element['image'];
    if (volume === undefined || volume === null) return undefined;
    const reference = isJsonObject(volume) ? optionalString(volume['reference']) : false;
    if (reference === false) return `${dotted(tokens)}.image.reference is not a string`;
    if (reference === undefined || reference === null || reference === '') return undefined;
    const name = nameOf(element);
    if (name === undefined) return `${dotted(tokens)} has no name`;
    const path = formatPointer([...tokens, 'image', 'reference']);
    slots.push({ path, image: reference, container: name, field: 'imageVolume' });
    return undefined;
  });
  return { slots, problems };
}

function forEachElement(
  list: unknown,
  tokens: readonly (string | number)[],
  problems: string[],
  /** Returns a problem, or undefined when the element is fine. */
  visit: (element: Readonly<Record<string, unknown>>, tokens: readonly (string | number)[]) => string | undefined,
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    problems.push(`${dotted(tokens)} is not a list`);
    return;
  }
  list.forEach((item: unknown, index) => {
    const at = [...tokens, index];
    const problem = isJsonObject(item) ? visit(item, at) : `${dotted(at)} is not an object`;
    if (problem !== undefined) problems.push(problem);
  });
}

/** `spec.template.spec.containers[0]`: how kubectl and API errors name fields. */
function dotted(tokens: readonly (string | number)[]): string {
  return tokens.map((token, i) => (typeof token === 'number' ? `[${token}]` : i === 0 ? token : `.${token}`)).join('');
}
