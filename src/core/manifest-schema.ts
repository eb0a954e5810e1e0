/**
 * Zod schemas for the four manifest documents we copy: OCI image index and
 * image manifest (image-spec `image-index.md`, `manifest.md`, `descriptor.md`)
 * and Docker manifest list / image manifest v2 schema 2. Objects are loose:
 * unknown fields are allowed (image-spec "Extensibility"), and the parsed
 * output is only read, never re-serialized.
 */
import { z } from 'zod';
import type { Descriptor, Platform } from './descriptor.js';

// descriptor.md "Digests": `algorithm:encoded`, held to the registered
// algorithms' exact encodings. Unregistered algorithms are refused here
// because the copy engine must verify every blob and can only hash these
// two. A local check on purpose: the shared digest module is written in
// parallel.
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

const digestSchema = z.string().regex(DIGEST, {
  message: 'must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>',
});

// descriptor.md "size": int64, but JSON numbers past 2^53 lose precision in
// JavaScript, so a size we cannot represent exactly is refused, not rounded.
const sizeSchema = z
  .number({ message: 'must be a number' })
  .refine(Number.isInteger, { message: 'must be an integer' })
  .refine((n) => n >= 0, { message: 'must not be negative' })
  .refine((n) => n <= Number.MAX_SAFE_INTEGER, { message: 'is above 2^53-1' });

const stringMapSchema = z.record(z.string(), z.string());

const platformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
});

export const descriptorSchema = z.looseObject({
  mediaType: z.string().min(1),
  digest: digestSchema,
  size: sizeSchema,
  urls: z.array(z.string()).optional(),
  annotations: stringMapSchema.optional(),
  platform: platformSchema.optional(),
  artifactType: z.string().optional(),
});

const schemaVersionSchema = z.literal(2, { message: 'must be 2' });

export const indexSchema = z.looseObject({
  schemaVersion: schemaVersionSchema,
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: stringMapSchema.optional(),
});

export const imageManifestSchema = z.looseObject({
  schemaVersion: schemaVersionSchema,
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: stringMapSchema.optional(),
});

type DescriptorInput = z.infer<typeof descriptorSchema>;
type PlatformInput = z.infer<typeof platformSchema>;

/** Copies only the known fields, leaving absent ones absent (exactOptionalPropertyTypes). */
export function toDescriptor(d: DescriptorInput): Descriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.urls !== undefined && { urls: d.urls }),
    ...(d.annotations !== undefined && { annotations: d.annotations }),
    ...(d.platform !== undefined && { platform: toPlatform(d.platform) }),
    ...(d.artifactType !== undefined && { artifactType: d.artifactType }),
  };
}

function toPlatform(p: PlatformInput): Platform {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant !== undefined && { variant: p.variant }),
    ...(p['os.version'] !== undefined && { 'os.version': p['os.version'] }),
    ...(p['os.features'] !== undefined && { 'os.features': p['os.features'] }),
  };
}

/** `layers[2].digest: must be ...`, for the first problem zod found. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid document';
  let path = '';
  for (const key of issue.path) {
    path += typeof key === 'number' ? `[${key}]` : path === '' ? String(key) : `.${String(key)}`;
  }
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
