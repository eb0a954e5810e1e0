/**
 * Equality of JSON values: the RFC 6902 `test` comparison (members in any
 * order, arrays in order, numbers by value), and the "semantic" comparison
 * the dispatcher uses to decide whether a patch changed the object
 * (CLUSTER-NOTES 1.9; src `mutating/dispatcher.go` uses
 * apiequality.Semantic.DeepEqual on typed objects, where an absent, null or
 * empty list/map field all decode to the same Go value).
 */

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** jsonEqual after dropping members that are null, [] or {} (recursively), as typed decoding would. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return jsonEqual(normalize(a), normalize(b));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const normalized = normalize(member);
    if (isEmpty(normalized)) continue;
    out[key] = normalized;
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
