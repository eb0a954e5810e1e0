/**
 * matchPolicy Equivalent (CLUSTER-NOTES 1.3; src `generic/webhook.go`
 * ShouldCallHook with the server's EquivalentResourceMapper): when no rule
 * matches the request literally, the server tries the same resource under
 * the other group/versions it serves, rules in order, and sends the object
 * converted to the matching version. The stand-in serves no API, so the
 * equivalence classes are a table the caller supplies (none by default,
 * which is today's truth for the built-in workload kinds), and conversion is
 * the identity on the body with apiVersion/kind rewritten: enough for
 * resources whose versions share a schema (most multi-version CRDs).
 */
import type { GroupVersionKind, GroupVersionResource } from './types.js';

export interface EquivalentResource {
  readonly resource: GroupVersionResource;
  /** "" for the main resource; equivalents are looked up per subresource. */
  readonly subResource?: string;
  /** The kind this version of the resource (or subresource) serves. */
  readonly kind: GroupVersionKind;
}

/** Each inner list is one class: the same resource under its served group/versions. */
export type EquivalenceTable = readonly (readonly EquivalentResource[])[];

function sameResource(a: GroupVersionResource, b: GroupVersionResource): boolean {
  return a.group === b.group && a.version === b.version && a.resource === b.resource;
}

/** EquivalentResourcesFor minus the request's own resource, in table order. */
export function equivalentsFor(
  table: EquivalenceTable,
  resource: GroupVersionResource,
  subResource: string,
): readonly EquivalentResource[] {
  for (const group of table) {
    const bySub = group.filter((entry) => (entry.subResource ?? '') === subResource);
    if (bySub.some((entry) => sameResource(entry.resource, resource))) {
      return bySub.filter((entry) => !sameResource(entry.resource, resource));
    }
  }
  return [];
}

export function apiVersionOf(kind: GroupVersionKind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/** Identity conversion: the same body under another apiVersion/kind (the server's converter, for same-schema versions). */
export function convertObject(object: unknown, to: GroupVersionKind): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return object;
  return { ...object, apiVersion: apiVersionOf(to), kind: to.kind };
}
