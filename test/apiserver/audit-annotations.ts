/**
 * Audit annotations of one request (CLUSTER-NOTES 1.8; apiserver
 * admission attributes AddAnnotation): webhook keys are stored as
 * `<webhook name>/<key>`, the dispatcher adds its own
 * `mutation.webhook.admission.k8s.io/round_R_index_I` (and `patch.` and
 * `failed-open.` variants). A key must be `<prefix>/<name>` (exactly one
 * "/"), and a key already set to another value keeps its first value; the
 * server only logs such refusals, so they are kept here for tests to see.
 */

export interface AuditAnnotations {
  add(key: string, value: string): void;
  entries(): Record<string, string>;
  /** Refused additions, with why. */
  refused(): string[];
}

export function createAuditAnnotations(): AuditAnnotations {
  const values = new Map<string, string>();
  const refusals: string[] = [];
  return {
    add(key, value) {
      if (key.split('/').length !== 2) {
        refusals.push(`${key}: annotation key has invalid format`);
        return;
      }
      const existing = values.get(key);
      if (existing !== undefined && existing !== value) {
        refusals.push(`${key}: already set to ${JSON.stringify(existing)}`);
        return;
      }
      values.set(key, value);
    },
    entries: () => Object.fromEntries(values),
    refused: () => [...refusals],
  };
}
