/**
 * The AdmissionReview the API server sends (CLUSTER-NOTES 1.7; src
 * `request/admissionreview.go` CreateV1AdmissionReview; field names and
 * `omitempty` rules from k8s.io/api admission/v1 types.go): Go's encoder
 * omits an empty name, namespace or subResource, always writes the
 * request* trio and dryRun, and writes absent objects and options as null.
 */
import type { ReviewVersion } from './admission-review-response.js';
import type { GroupVersionKind, GroupVersionResource, Operation, UserInfo } from './types.js';

export interface ReviewRequestInput {
  readonly version: ReviewVersion;
  readonly uid: string;
  /** After an Equivalent conversion. */
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource: string;
  /** What the client sent. */
  readonly requestKind: GroupVersionKind;
  readonly requestResource: GroupVersionResource;
  readonly requestSubResource: string;
  readonly name: string;
  readonly namespace: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  readonly object: unknown;
  readonly oldObject: unknown;
  readonly dryRun: boolean;
  readonly options: unknown;
}

function omitEmpty(entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== ''));
}

export function buildAdmissionReview(input: ReviewRequestInput): Record<string, unknown> {
  const { userInfo } = input;
  return {
    kind: 'AdmissionReview',
    apiVersion: `admission.k8s.io/${input.version}`,
    request: {
      uid: input.uid,
      kind: input.kind,
      resource: input.resource,
      ...omitEmpty({ subResource: input.subResource }),
      requestKind: input.requestKind,
      requestResource: input.requestResource,
      ...omitEmpty({ requestSubResource: input.requestSubResource, name: input.name, namespace: input.namespace }),
      operation: input.operation,
      userInfo: {
        ...omitEmpty({ username: userInfo.username, uid: userInfo.uid ?? '' }),
        ...((userInfo.groups ?? []).length > 0 ? { groups: userInfo.groups } : {}),
        ...(Object.keys(userInfo.extra ?? {}).length > 0 ? { extra: userInfo.extra } : {}),
      },
      object: input.object ?? null,
      oldObject: input.oldObject ?? null,
      dryRun: input.dryRun,
      options: input.options ?? null,
    },
  };
}
