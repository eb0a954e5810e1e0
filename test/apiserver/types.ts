/**
 * The data the API server stand-in works on: the admission attributes of one
 * API request (what kube-apiserver knows before it calls any webhook), the
 * metav1.Status it answers a rejection with, and the record of each webhook
 * it called. Shapes follow k8s.io/api admission/v1 types.go (CLUSTER-NOTES
 * 1.7); JSON objects stay `unknown` because the stand-in has no schemas.
 */

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One API request as the admission chain sees it (k8s.io/apiserver admission.Attributes). */
export interface AdmissionAttributes {
  readonly operation: Operation;
  readonly resource: GroupVersionResource & { readonly subResource?: string };
  readonly kind: GroupVersionKind;
  /** The request's namespace; omit for cluster-scoped resources. For `namespaces` it is the object's name. */
  readonly namespace?: string;
  /** Defaults to the object's (or old object's) metadata.name; "" for a CREATE with generateName. */
  readonly name?: string;
  /** Required for CREATE and UPDATE; absent (null) on DELETE and CONNECT. */
  readonly object?: unknown;
  /** The stored object: required for UPDATE, optional for DELETE, absent on CREATE and CONNECT. */
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
  readonly userInfo?: UserInfo;
  /** CreateOptions/UpdateOptions/DeleteOptions; defaulted from the operation when omitted. */
  readonly options?: unknown;
}

/** metav1.Status as the API server returns it for a rejected request. */
export interface ApiStatus {
  readonly apiVersion: 'v1';
  readonly kind: 'Status';
  readonly status: 'Failure';
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly details?: unknown;
}

/** What became of one webhook the dispatcher decided to call (CLUSTER-NOTES 1.8-1.10). */
export type CallOutcome =
  /** Answered allowed; `changed` says whether its patch changed the object semantically. */
  | 'allowed'
  /** Answered allowed:false: the request is rejected whatever the failurePolicy. */
  | 'denied'
  /** A call error under failurePolicy Ignore: the object went on unchanged. */
  | 'failed-open'
  /** A call error under failurePolicy Fail: the request is rejected with 500. */
  | 'failed-closed'
  /** The returned patch did not apply (or was sent on DELETE): 500 whatever the policy. */
  | 'patch-error'
  /** dryRun with sideEffects other than None/NoneOnDryRun: 400, the webhook is not called. */
  | 'dry-run-unsupported';

export interface CallRecord {
  readonly round: 0 | 1;
  /** Position in the flattened, name-sorted webhook list (the audit key's index_I). */
  readonly index: number;
  readonly configuration: string;
  readonly webhook: string;
  /** The URL as kube-apiserver prints it, e.g. https://svc.ns.svc:443/mutate?timeout=10s; "" if never sent. */
  readonly url: string;
  /** The AdmissionReview request.uid; "" if never sent. */
  readonly uid: string;
  readonly outcome: CallOutcome;
  readonly changed: boolean;
  /** The call error or rejection text, when there was one. */
  readonly error?: string;
  readonly ms: number;
}

interface AdmitCommon {
  /** Warning texts as the client receives them (deduplicated, truncated per CLUSTER-NOTES 1.8). */
  readonly warnings: readonly string[];
  /** The same warnings as HTTP header values: `299 - "text"`. */
  readonly warningHeaders: readonly string[];
  /** Webhook audit annotations (`<webhook>/<key>`) and the server's own (`mutation.webhook.admission.k8s.io/...`). */
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly calls: readonly CallRecord[];
}

export type AdmitResult =
  | (AdmitCommon & { readonly allowed: true; readonly object: unknown })
  | (AdmitCommon & { readonly allowed: false; readonly status: ApiStatus });
