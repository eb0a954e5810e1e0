/**
 * Opt-in credentials for nodes pulling from a private backup registry
 * (IMAGE_PULL_SECRET): a pod spec whose images this admission rewrote gets
 * `{name: <secret>}` in `imagePullSecrets`, unless an entry of that name is
 * there already, so planning on the patched object adds nothing.
 *
 * core/v1 PodSpec: "imagePullSecrets is an optional list of references to
 * secrets in the same namespace to use for pulling any of the images used by
 * this PodSpec". The webhook only names the Secret; it must exist in each
 * workload's namespace.
 */
import { z } from 'zod';
import type { AdmissionRequest } from './admission-review.js';
import { addOp, formatPointer } from './json-patch.js';
import type { PatchOp } from './json-patch.js';
import { podSpecTokens } from './pod-specs.js';
import type { WorkloadKind } from './pod-specs.js';

/** Secret names are DNS subdomains (RFC 1123; apimachinery IsDNS1123Subdomain). */
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_SECRET_NAME_LENGTH = 253;

const jsonObject = z.record(z.string(), z.unknown());
const secretList = z.array(z.unknown()).nullish();
const reference = z.looseObject({ name: z.string() });

export function isSecretName(name: string): boolean {
  return name.length <= MAX_SECRET_NAME_LENGTH && DNS1123_SUBDOMAIN.test(name);
}

/**
 * The ops that add `secret` to the pod spec of `request.object`. The caller
 * calls this only when it rewrote at least one image of that pod spec.
 */
export function planPullSecretOps(
  request: Pick<AdmissionRequest, 'subResource' | 'object'>,
  kind: WorkloadKind,
  secret: string | undefined,
): PatchOp[] {
  if (secret === undefined) return [];
  // The API server takes only spec.ephemeralContainers from the
  // pods/ephemeralcontainers subresource: its update strategy puts back the
  // stored spec for everything else (pkg/registry/core/pod/strategy.go,
  // dropNonEphemeralContainerUpdates), and a Pod's imagePullSecrets cannot
  // change after creation anyway (core/v1 validation, ValidatePodUpdate). An
  // added entry would be dropped, so none is planned.
  if (request.subResource === 'ephemeralcontainers') return [];
  const tokens = podSpecTokens(kind);
  let node: unknown = request.object;
  for (const token of tokens) {
    const parsed = jsonObject.safeParse(node);
    if (!parsed.success) return [];
    node = parsed.data[token];
  }
  const spec = jsonObject.safeParse(node);
  if (!spec.success) return [];
  const path = formatPointer([...tokens, 'imagePullSecrets']);
  const list = secretList.safeParse(spec.data['imagePullSecrets']);
  // Not a list: API validation rejects the object anyway, and an "add" here
  // would replace what the user wrote.
  if (!list.success) return [];
  // RFC 6902 4.1: "add" needs the parent, so an absent (or null) list is
  // added whole; "-" appends to an existing one.
  if (list.data === undefined || list.data === null) return [addOp(path, [{ name: secret }])];
  const present = list.data.some((entry) => reference.safeParse(entry).data?.name === secret);
  return present ? [] : [addOp(`${path}/-`, { name: secret })];
}
