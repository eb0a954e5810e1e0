/**
 * The platform of a single-platform image, read from its config blob
 * (image-spec `config.md`: `os`, `architecture`, `variant`). Only small
 * configs are read, and only for reporting.
 */
import { z } from 'zod';
import type { Descriptor, Platform } from '../core/descriptor.js';
import type { ImageSource } from './endpoints.js';

const MAX_CONFIG_BYTES = 1024 * 1024;

const configSchema = z.looseObject({
  os: z.string().min(1).max(64),
  architecture: z.string().min(1).max(64),
  variant: z.string().min(1).max(64).optional(),
});

export async function readConfigPlatform(
  source: ImageSource,
  config: Descriptor,
  signal?: AbortSignal,
): Promise<Platform | undefined> {
  if (config.size > MAX_CONFIG_BYTES) return undefined;
  const stream = await source.getBlob(config, signal);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buf.length;
    if (total > MAX_CONFIG_BYTES) {
      stream.destroy();
      return undefined;
    }
    chunks.push(buf);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { os, architecture, variant } = parsed.data;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}
