/**
 * Reads a webhook's answer the way the API server does (CLUSTER-NOTES 1.8):
 * an AdmissionReview v1 with `response.uid` and `response.allowed`, `patch`
 * and `patchType` together or not at all, the patch base64 of a JSON array.
 * Anything else throws, naming the problem.
 */
import { z } from 'zod';

const responseSchema = z.strictObject({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  response: z.strictObject({
    uid: z.string().min(1),
    allowed: z.boolean(),
    patchType: z.literal('JSONPatch').optional(),
    patch: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).optional(),
    status: z.strictObject({ code: z.number().int().min(400).max(599), message: z.string().min(1) }).optional(),
    warnings: z.array(z.string()).optional(),
  }),
});

export interface ReadResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patch: unknown[] | undefined;
  readonly status: { readonly code: number; readonly message: string } | undefined;
  readonly warnings: readonly string[];
}

export function readAdmissionResponse(body: string): ReadResponse {
  const parsed = responseSchema.parse(JSON.parse(body));
  const { response } = parsed;
  if ((response.patch === undefined) !== (response.patchType === undefined)) {
    throw new Error('patch and patchType must come together');
  }
  let patch: unknown[] | undefined;
  if (response.patch !== undefined) {
    const decoded: unknown = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
    if (!Array.isArray(decoded)) throw new Error('patch is not a JSON array');
    patch = decoded;
  }
  return {
    uid: response.uid,
    allowed: response.allowed,
    patch,
    status: response.status,
    warnings: response.warnings ?? [],
  };
}
