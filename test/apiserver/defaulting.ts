/**
 * The one piece of API defaulting the stand-in applies (CLUSTER-NOTES 1.4,
 * 1.8; pkg/apis/core/v1/defaults.go SetDefaults_Namespace): a Namespace
 * always carries `kubernetes.io/metadata.name=<name>`, before admission and
 * again after every patch. Everything else defaulting and validation do is
 * out of scope (CLUSTER-NOTES 1.12 item 16): the stand-in has no schemas.
 */
import type { GroupVersionKind } from './types.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyDefaults(object: unknown, kind: GroupVersionKind): unknown {
  if (!(kind.group === '' && kind.kind === 'Namespace') || !isRecord(object) || !isRecord(object.metadata)) return object;
  const name = object.metadata.name;
  if (typeof name !== 'string' || name === '') return object;
  const labels = isRecord(object.metadata.labels) ? object.metadata.labels : {};
  return { ...object, metadata: { ...object.metadata, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name } } };
}
