/**
 * How the API server reads a webhook's AdmissionReview answer (CLUSTER-NOTES
 * 1.8; src `request/admissionreview.go` VerifyAdmissionResponse): decoding
 * is non-strict and case-sensitive, a value of the wrong type makes the
 * whole body undecodable, JSON null leaves a field at its zero value (so a
 * missing `allowed` is a denial); then the GVK, the uid and the
 * patch/patchType pairing are checked. v1beta1 answers skip those checks.
 */
import { z } from 'zod';
import type { WebhookResultStatus } from './status-errors.js';

export type ReviewVersion = 'v1' | 'v1beta1';

/** Go's []byte decoding: standard alphabet, padded; CR and LF are skipped. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64Bytes = z
  .string()
  .transform((text) => text.replace(/[\r\n]/g, ''))
  .refine((text) => BASE64.test(text), 'illegal base64 data');

const statusSchema = z.looseObject({
  code: z.number().int().nullish(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
  status: z.string().nullish(),
  details: z.unknown().optional(),
});

// Go leaves a field at its zero value for JSON null, hence nullish everywhere.
const responseSchema = z.looseObject({
  uid: z.string().nullish(),
  allowed: z.boolean().nullish(),
  status: statusSchema.nullish(),
  patch: base64Bytes.nullish(),
  patchType: z.string().nullish(),
  auditAnnotations: z.record(z.string(), z.string()).nullish(),
  warnings: z.array(z.string()).nullish(),
});

const reviewSchema = z.looseObject({
  apiVersion: z.string().nullish(),
  kind: z.string().nullish(),
  response: responseSchema.nullish(),
});

export interface VerifiedResponse {
  readonly allowed: boolean;
  readonly result: WebhookResultStatus | undefined;
  /** The decoded patch bytes; empty when there was none. */
  readonly patch: Buffer;
  /** "" when there is no patch. */
  readonly patchType: string;
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

export type ResponseCheck =
  | { readonly ok: true; readonly response: VerifiedResponse }
  /** `decode` problems read "failed to call webhook: ..."; `verify` ones "received invalid webhook response: ...". */
  | { readonly ok: false; readonly stage: 'decode' | 'verify'; readonly message: string };

export function verifyAdmissionResponse(body: string, uid: string, version: ReviewVersion): ResponseCheck {
  if (body.trim() === '') return { ok: false, stage: 'decode', message: '0-length response' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, stage: 'decode', message: error instanceof Error ? error.message : String(error) };
  }
  const parsed = reviewSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, stage: 'decode', message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'undecodable'}` };
  }
  const { apiVersion, kind, response } = parsed.data;
  const expected = `admission.k8s.io/${version}`;
  if (apiVersion !== expected || kind !== 'AdmissionReview') {
    return {
      ok: false,
      stage: 'verify',
      message: `expected webhook response of ${expected}, Kind=AdmissionReview, got ${apiVersion ?? ''}, Kind=${kind ?? ''}`,
    };
  }
  if (response === undefined || response === null) return { ok: false, stage: 'verify', message: 'webhook response was absent' };
  const patch = Buffer.from(response.patch ?? '', 'base64');
  let patchType = response.patchType ?? '';
  if (version === 'v1') {
    if ((response.uid ?? '') !== uid) {
      return { ok: false, stage: 'verify', message: `expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}` };
    }
    const hasPatchType = response.patchType !== undefined && response.patchType !== null;
    if (patch.length > 0 && !hasPatchType) return { ok: false, stage: 'verify', message: 'webhook returned response.patch but not response.patchType' };
    if (patch.length === 0 && hasPatchType) return { ok: false, stage: 'verify', message: 'webhook returned response.patchType but not response.patch' };
    if (hasPatchType && patchType === '') return { ok: false, stage: 'verify', message: 'webhook returned invalid response.patchType of ""' };
  } else {
    // v1beta1 never checked uid, kind or patchType; a patch is taken as JSONPatch.
    patchType = patch.length > 0 ? 'JSONPatch' : '';
  }
  const result = response.status ?? undefined;
  return {
    ok: true,
    response: {
      allowed: response.allowed ?? false,
      result:
        result === undefined
          ? undefined
          : {
              code: result.code ?? undefined,
              reason: result.reason ?? undefined,
              message: result.message ?? undefined,
              status: result.status ?? undefined,
              details: result.details,
            },
      patch,
      patchType,
      auditAnnotations: response.auditAnnotations ?? {},
      warnings: response.warnings ?? [],
    },
  };
}
