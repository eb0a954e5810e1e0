/**
 * Admission warnings. The API server sends each one as an HTTP
 * `Warning: 299 - "..."` header; the Kubernetes docs advise at most 120
 * characters so kubectl shows it whole, the server may truncate one past 256
 * and drops all past 4096 in total (CLUSTER-NOTES 1.8). So each warning here
 * is under 120 characters and there are at most MAX_WARNINGS of them.
 */
import type { ImageField, ImageSlot } from './pod-specs.js';

export const MAX_WARNING_LENGTH = 119;
/** 16 x 119 characters stays far below the 4096 total, leaving room for other webhooks. */
export const MAX_WARNINGS = 16;

const PREFIX = 'image-cloner: ';
const ELLIPSIS = '...';

/** Prefixed, control characters replaced, cut to MAX_WARNING_LENGTH. */
export function formatWarning(text: string): string {
  return clamp(PREFIX + text.replace(/[\u0000-\u001f\u007f]/g, ' '), MAX_WARNING_LENGTH);
}

/** Distinct warnings in order, the tail replaced by a count past MAX_WARNINGS. */
export function limitWarnings(warnings: readonly string[]): string[] {
  const distinct = [...new Set(warnings)];
  if (distinct.length <= MAX_WARNINGS) return distinct;
  const kept = distinct.slice(0, MAX_WARNINGS - 1);
  return [...kept, formatWarning(`and ${distinct.length - kept.length} more warnings`)];
}

/** `container "web"`, `init container "setup"`, `image volume "data"`. */
export function describeSlot(slot: Pick<ImageSlot, 'field' | 'container'>): string {
  return `${FIELD_NOUNS[slot.field]} ${quoteShort(slot.container, 40)}`;
}

/** JSON-quoted (control characters escaped), its middle elided past `max` characters. */
export function quoteShort(value: string, max: number): string {
  return JSON.stringify(shortenMiddle(value, max));
}

/** Keeps both ends of a long image reference: the registry and the tag say the most. */
export function shortenMiddle(value: string, max: number): string {
  if (value.length <= max) return value;
  const keep = max - ELLIPSIS.length;
  const head = Math.ceil(keep / 2);
  return value.slice(0, head) + ELLIPSIS + value.slice(value.length - (keep - head));
}

const FIELD_NOUNS: Readonly<Record<ImageField, string>> = {
  containers: 'container',
  initContainers: 'init container',
  ephemeralContainers: 'ephemeral container',
  imageVolume: 'image volume',
};

function clamp(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - ELLIPSIS.length) + ELLIPSIS;
}
