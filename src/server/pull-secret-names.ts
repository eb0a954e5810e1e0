/**
 * What an admitted object says about its pull credentials: its pod spec's
 * `imagePullSecrets[].name` and `serviceAccountName` (PULL_SECRETS_LOOKUP,
 * issue 4). The pod spec is found where src/core/pod-specs.ts finds images.
 * Objects reach a mutating webhook before API validation, so every field is
 * checked; anything malformed counts as absent.
 */
import { z } from 'zod';
import type { AdmissionRequest } from '../core/admission-review.js';
import { podSpecTokens, toWorkloadKind } from '../core/pod-specs.js';
import type { WorkloadPullSecrets } from '../mirror/pull-credentials.js';

/** As the ServiceAccount admission plugin defaults it. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

const objectSchema = z.record(z.string(), z.unknown());
const NAME = z.string().min(1).max(253);
const podSpecSchema = z.looseObject({
  imagePullSecrets: z.array(z.unknown()).max(1024).nullish(),
  serviceAccountName: z.unknown().optional(),
  // Deprecated alias of serviceAccountName (core/v1 PodSpec), still honoured by the API server.
  serviceAccount: z.unknown().optional(),
});
const referenceSchema = z.looseObject({ name: NAME });

/** Undefined when the object is not a workload we handle, or has no namespace. */
export function readPullSecretNames(request: AdmissionRequest): WorkloadPullSecrets | undefined {
  const kind = toWorkloadKind(request.kind);
  const namespace = request.namespace;
  if (kind === undefined || namespace === undefined || namespace === '') return undefined;
  let node: unknown = request.object;
  for (const token of podSpecTokens(kind)) {
    const parsed = objectSchema.safeParse(node);
    node = parsed.success ? parsed.data[token] : undefined;
  }
  const spec = podSpecSchema.safeParse(node);
  if (!spec.success) return { namespace, secretNames: [], serviceAccountName: DEFAULT_SERVICE_ACCOUNT };
  const secretNames = (spec.data.imagePullSecrets ?? []).flatMap((entry) => {
    const reference = referenceSchema.safeParse(entry);
    return reference.success ? [reference.data.name] : [];
  });
  const account = NAME.safeParse(spec.data.serviceAccountName);
  const legacy = NAME.safeParse(spec.data.serviceAccount);
  const serviceAccountName = account.success ? account.data : legacy.success ? legacy.data : DEFAULT_SERVICE_ACCOUNT;
  return { namespace, secretNames, serviceAccountName };
}
