/**
 * metav1.LabelSelector semantics (matchLabels AND every matchExpression), as
 * the API server applies a webhook's namespaceSelector and objectSelector:
 * In/NotIn/Exists/DoesNotExist, where NotIn and DoesNotExist also match a
 * missing key. An empty selector matches everything.
 */
import { z } from 'zod';

const selectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

export type LabelSelector = z.infer<typeof selectorSchema>;

export function parseLabelSelector(value: unknown): LabelSelector {
  const selector = selectorSchema.parse(value);
  for (const e of selector.matchExpressions ?? []) {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues !== (e.values !== undefined && e.values.length > 0)) {
      throw new Error(`selector expression on ${e.key}: ${e.operator} ${needsValues ? 'needs' : 'takes no'} values`);
    }
  }
  return selector;
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const inValues = has && value !== undefined && (e.values ?? []).includes(value);
    switch (e.operator) {
      case 'In':
        if (!inValues) return false;
        break;
      case 'NotIn':
        if (inValues) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
