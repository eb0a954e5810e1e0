/**
 * The webhook's decision applied to objects read from files (`image-cloner
 * rewrite` and `sync`, issue 6): each object is presented to the same
 * classifyImages / collectImages / planMutation calls as a CREATE admission
 * of it would be, so there is one naming policy and one notion of where
 * images live in each kind, not a second implementation.
 */
import { z } from 'zod';
import type { AdmissionRequest } from './admission-review.js';
import type { CopyOutcome, CopyRequest } from './image-decision.js';

/** `apiVersion` and `kind`, as every Kubernetes object carries them (API conventions, "Types (Kinds)"). */
const typeMetaSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }).nullish(),
});

/** The uid an offline request carries: nobody answers it, but the schema requires one. */
export const OFFLINE_REQUEST_UID = 'image-cloner-offline';

/**
 * The CREATE admission request the API server would send for `object`, or
 * undefined when it is not a Kubernetes object at all (no apiVersion/kind).
 * CREATE, not UPDATE: a file holds no stored object to compare with, and the
 * webhook rewrites every image of a new object.
 */
export function toOfflineRequest(object: unknown): AdmissionRequest | undefined {
  const meta = typeMetaSchema.safeParse(object);
  if (!meta.success) return undefined;
  const { apiVersion, kind, metadata } = meta.data;
  // "group/version", or just "version" for the core group (apimachinery ParseGroupVersion).
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  return {
    uid: OFFLINE_REQUEST_UID,
    kind: { group, version, kind },
    resource: { group, version, resource: '' },
    operation: 'CREATE',
    object,
    ...(metadata?.name === undefined ? {} : { name: metadata.name }),
    ...(metadata?.namespace === undefined ? {} : { namespace: metadata.namespace }),
  };
}

/**
 * Never written: with pinDigests off the planner keeps the target's own tag
 * and digest and reads the outcome's digest only to check that a copy
 * reported one (planMutation, decide).
 */
const UNPINNED_DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * Outcomes for a rewrite that resolves nothing (`rewrite --no-pin`): every
 * copy counts as ready, as it will once `sync` (or the webhook) made it.
 * A source pinned by digest keeps that digest, which the planner checks
 * against the copy's.
 */
export function unpinnedOutcomes(requests: readonly CopyRequest[]): Map<string, CopyOutcome> {
  return new Map(
    requests.map((request) => [request.key, { status: 'ready', digest: request.source.digest ?? UNPINNED_DIGEST }]),
  );
}
