/**
 * The annotation that records the references an object had before they were
 * rewritten: a JSON object mapping a slot key to the original string, as the
 * user wrote it, e.g. `{"web":"nginx:1.25","volumes/data":"ghcr.io/x/y:1"}`.
 *
 * Keyed by container name rather than JSON Pointer: names are stable when
 * containers are reordered, and Kubernetes requires them to be unique across
 * containers, initContainers and ephemeralContainers (core/v1 validation).
 * Image volumes are keyed `volumes/<name>`; a container name is a DNS label
 * and holds no "/", so the two never clash. Keys are sorted, so the same
 * content is always the same string: writing it twice changes nothing.
 *
 * It is informative only: nothing decides on it, since users and other
 * tools may edit or drop it.
 */
import { z } from 'zod';
import type { ImageSlot } from './pod-specs.js';

export const DEFAULT_ANNOTATION_KEY = 'image-cloner.io/original-images';

const originalsSchema = z.record(z.string(), z.string());

export function slotKey(slot: Pick<ImageSlot, 'field' | 'container'>): string {
  return slot.field === 'imageVolume' ? `volumes/${slot.container}` : slot.container;
}

/** The recorded map, or an empty one when absent or not the JSON we write. */
export function readOriginalImages(value: string | undefined): Map<string, string> {
  if (value === undefined) return new Map();
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return new Map();
  }
  const parsed = originalsSchema.safeParse(json);
  return parsed.success ? new Map(Object.entries(parsed.data)) : new Map();
}

export function formatOriginalImages(originals: ReadonlyMap<string, string>): string {
  const sorted = [...originals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(sorted));
}
