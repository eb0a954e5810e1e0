/**
 * zod schemas for the Kubernetes API replies we read (STYLE rule 5). Objects
 * are parsed loosely: fields we do not know survive untouched, so an update
 * sends back everything the server gave us.
 */
import { z } from 'zod';

const NAME = z.string().min(1).max(253);

export const objectMetaSchema = z.looseObject({
  name: NAME,
  namespace: z.string().max(63).optional(),
  resourceVersion: z.string().max(128).optional(),
  uid: z.string().max(128).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A Secret's `data`: base64 values (core/v1 Secret: map[string][]byte). */
const BASE64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

export const secretSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: z.string().max(253).optional(),
  data: z.record(z.string(), BASE64).optional(),
});
export type Secret = z.infer<typeof secretSchema>;

/**
 * A ServiceAccount, for its `imagePullSecrets` (LocalObjectReference list;
 * entries without a name are skipped, as the kubelet does).
 */
export const serviceAccountSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ServiceAccount'),
  metadata: objectMetaSchema,
  imagePullSecrets: z
    .array(z.looseObject({ name: z.string().max(253).optional() }))
    .max(1024)
    .nullish(),
});
export type ServiceAccount = z.infer<typeof serviceAccountSchema>;

export const serviceReferenceSchema = z.looseObject({
  namespace: z.string().min(1).max(63),
  name: z.string().min(1).max(253),
  path: z.string().optional(),
  port: z.number().int().optional(),
});

export const webhookClientConfigSchema = z.looseObject({
  service: serviceReferenceSchema.optional(),
  url: z.string().optional(),
  caBundle: BASE64.optional(),
});

export const mutatingWebhookSchema = z.looseObject({
  name: z.string().min(1).max(253),
  clientConfig: webhookClientConfigSchema,
});

export const mutatingWebhookConfigurationSchema = z.looseObject({
  apiVersion: z.literal('admissionregistration.k8s.io/v1'),
  kind: z.literal('MutatingWebhookConfiguration'),
  metadata: objectMetaSchema,
  webhooks: z.array(mutatingWebhookSchema).max(1024).optional(),
});
export type MutatingWebhookConfiguration = z.infer<typeof mutatingWebhookConfigurationSchema>;

/** metav1.Status, the body of every API error (and of some successes). */
export const statusSchema = z.looseObject({
  kind: z.literal('Status'),
  status: z.string().optional(),
  message: z.string().max(8192).optional(),
  reason: z.string().max(256).optional(),
  code: z.number().int().optional(),
  details: z
    .looseObject({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
      retryAfterSeconds: z.number().int().optional(),
    })
    .optional(),
});
export type Status = z.infer<typeof statusSchema>;
