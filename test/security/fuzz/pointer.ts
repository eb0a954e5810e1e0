/** RFC 6901 pointers on plain JSON values, for the fuzzer's own bookkeeping. */
import { valueAt } from '../../core/k8s-fixtures.js';
import { isRecord } from './pod-spec-paths.js';

export function setPointer(document: unknown, pointer: string, value: unknown): void {
  const cut = pointer.lastIndexOf('/');
  const parent = valueAt(document, pointer.slice(0, cut));
  const last = pointer.slice(cut + 1).replaceAll('~1', '/').replaceAll('~0', '~');
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (isRecord(parent)) parent[last] = value;
}
