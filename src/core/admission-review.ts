/**
 * AdmissionReview `admission.k8s.io/v1` (k8s.io/api admission/v1 types.go):
 * the request as the API server sends it (CLUSTER-NOTES 1.7), parsed
 * loosely so unknown fields survive, and response constructors in the
 * manner of controller-runtime `pkg/webhook/admission` (allowed, patched,
 * denied), which always echo the request's uid, apiVersion and kind: any
 * other answer is a call error (CLUSTER-NOTES 1.8).
 */
import { z } from 'zod';
import type { PatchOp } from './json-patch.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_REVIEW_KIND = 'AdmissionReview';

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

const groupVersionKindSchema = z.looseObject({ group: z.string(), version: z.string(), kind: z.string() });
const groupVersionResourceSchema = z.looseObject({ group: z.string(), version: z.string(), resource: z.string() });

const userInfoSchema = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).nullish(),
  extra: z.record(z.string(), z.array(z.string())).nullish(),
});

export const admissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  /** After any matchPolicy Equivalent conversion; `requestKind` is what the client sent. */
  kind: groupVersionKindSchema,
  resource: groupVersionResourceSchema,
  subResource: z.string().optional(),
  requestKind: groupVersionKindSchema.nullish(),
  requestResource: groupVersionResourceSchema.nullish(),
  requestSubResource: z.string().optional(),
  /** Empty on a CREATE that uses generateName (how ReplicaSets create Pods). */
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(OPERATIONS),
  userInfo: userInfoSchema.optional(),
  /** Null on DELETE. Read by pod-specs with its own checks. */
  object: z.unknown().optional(),
  /** Null on CREATE and CONNECT. */
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().nullish(),
  options: z.unknown().optional(),
});

export type AdmissionRequest = z.infer<typeof admissionRequestSchema>;

export const admissionReviewSchema = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal(ADMISSION_REVIEW_KIND),
  request: admissionRequestSchema,
});

/** Just enough to answer: without a uid there is nobody to answer (the server replies 400). */
const envelopeSchema = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal(ADMISSION_REVIEW_KIND),
  request: z.looseObject({ uid: z.string().min(1) }),
});

export type AdmissionReviewParse =
  | { readonly kind: 'request'; readonly request: AdmissionRequest }
  /** An AdmissionReview with a uid but a request we cannot read: answer it (allowed, with a warning). */
  | { readonly kind: 'malformed'; readonly uid: string; readonly problem: string }
  /** Not an AdmissionReview v1 with a request uid: there is no review to answer. */
  | { readonly kind: 'unanswerable'; readonly problem: string };

export function parseAdmissionReview(body: unknown): AdmissionReviewParse {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: 'unanswerable', problem: describeIssue(envelope.error) };
  const review = admissionReviewSchema.safeParse(body);
  if (!review.success) {
    return { kind: 'malformed', uid: envelope.data.request.uid, problem: describeIssue(review.error) };
  }
  return { kind: 'request', request: review.data.request };
}

/** metav1.Status as the Kubernetes docs' example denial writes it; the server fills in `status: Failure`. */
export interface AdmissionStatus {
  readonly code: number;
  readonly message: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patchType?: 'JSONPatch';
  /** Base64 of the RFC 6902 JSON array. */
  readonly patch?: string;
  readonly status?: AdmissionStatus;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: typeof ADMISSION_REVIEW_KIND;
  readonly response: AdmissionResponse;
}

export function allowed(uid: string, warnings: readonly string[] = []): AdmissionReviewResponse {
  return review({ uid, allowed: true, ...withWarnings(warnings) });
}

/** An empty patch is sent as a plain allow: `patch` and `patchType` must come together or not at all. */
export function patched(
  uid: string,
  ops: readonly PatchOp[],
  warnings: readonly string[] = [],
): AdmissionReviewResponse {
  if (ops.length === 0) return allowed(uid, warnings);
  const patch = encodeUtf8Base64(JSON.stringify(ops));
  return review({ uid, allowed: true, patchType: 'JSONPatch', patch, ...withWarnings(warnings) });
}

/**
 * The API server turns a code below 400 into 400 (CLUSTER-NOTES 1.8); it is
 * normalized here (to 403, controller-runtime's `Denied`) so that what we log
 * is what the client gets.
 */
export function denied(
  uid: string,
  message: string,
  code = 403,
  warnings: readonly string[] = [],
): AdmissionReviewResponse {
  const status: AdmissionStatus = { code: code >= 400 && code <= 599 ? code : 403, message };
  return review({ uid, allowed: false, status, ...withWarnings(warnings) });
}

/**
 * RFC 4648 section 4 base64 with padding; Go's encoding/json decodes `[]byte`
 * from exactly this. `btoa` (a web platform global, so core stays free of
 * Node APIs) encodes natively; it takes a binary string, built in slices so
 * that no argument list grows with the patch.
 */
export function encodeBase64(bytes: Uint8Array): string {
  return btoa(binaryString(bytes));
}

/**
 * Base64 of a string's UTF-8 bytes. A patch is nearly always ASCII (image
 * references are), and for ASCII the string already is its own binary
 * string: btoa takes it as it is, with no byte array in between (this runs
 * on every admission).
 */
export function encodeUtf8Base64(text: string): string {
  return btoa(ASCII.test(text) ? text : binaryString(new TextEncoder().encode(text)));
}

const ASCII = /^[\x00-\x7f]*$/;

function binaryString(bytes: Uint8Array): string {
  const SLICE = 0x2000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + SLICE));
  }
  return binary;
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_REVIEW_KIND, response };
}

function withWarnings(warnings: readonly string[]): { warnings?: readonly string[] } {
  return warnings.length === 0 ? {} : { warnings: [...warnings] };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'not an AdmissionReview';
  const where = issue.path.length === 0 ? 'body' : issue.path.map(String).join('.');
  return `${where}: ${issue.message}`;
}
