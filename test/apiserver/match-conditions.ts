/**
 * matchConditions (CLUSTER-NOTES 1.5; src `matchconditions/matcher.go`):
 * any condition false skips the webhook whatever errors the others had;
 * errors with nothing false fail the request (403, failurePolicy Fail) or
 * skip the webhook (Ignore).
 *
 * There is no CEL interpreter here. The stand-in evaluates a small subset
 * and treats every other expression as an evaluation error, which is the
 * outcome a real server has for e.g. a missing map key:
 *   - `true`, `false`
 *   - `request.<field> == "<text>"` and `!=`, single or double quotes, where
 *     <field> is namespace, name, operation, subResource, userInfo.username,
 *     resource.group|version|resource or kind.group|version|kind.
 */
import type { FailurePolicy, MatchCondition } from './webhook-configuration.js';

/** The string fields of the CEL `request` variable (the AdmissionRequest without its objects). */
export type CelRequestFields = Readonly<Record<string, string>>;

export type ConditionValue = { readonly ok: true; readonly value: boolean } | { readonly ok: false; readonly error: string };

const COMPARISON = /^request\.([A-Za-z.]+)\s*(==|!=)\s*(?:"([^"\\]*)"|'([^'\\]*)')$/;

export function evaluateCondition(expression: string, request: CelRequestFields): ConditionValue {
  const text = expression.trim();
  if (text === 'true') return { ok: true, value: true };
  if (text === 'false') return { ok: true, value: false };
  const match = COMPARISON.exec(text);
  const field = match?.[1];
  if (match === null || field === undefined || !Object.hasOwn(request, field)) {
    return { ok: false, error: `expression ${JSON.stringify(expression)} is outside the CEL subset the stand-in evaluates` };
  }
  const literal = match[3] ?? match[4] ?? '';
  const equal = request[field] === literal;
  return { ok: true, value: match[2] === '==' ? equal : !equal };
}

export type ConditionsResult =
  | { readonly kind: 'matches' }
  | { readonly kind: 'skip'; readonly failedCondition?: string }
  | { readonly kind: 'error'; readonly message: string };

export function evaluateMatchConditions(
  conditions: readonly MatchCondition[],
  request: CelRequestFields,
  failurePolicy: FailurePolicy,
): ConditionsResult {
  const errors: string[] = [];
  for (const condition of conditions) {
    const result = evaluateCondition(condition.expression, request);
    if (!result.ok) errors.push(result.error);
    else if (!result.value) return { kind: 'skip', failedCondition: condition.name };
  }
  if (errors.length === 0) return { kind: 'matches' };
  if (failurePolicy === 'Ignore') return { kind: 'skip' };
  // utilerrors.NewAggregate: one error prints alone, several as "[a, b]".
  return { kind: 'error', message: errors.length === 1 ? (errors[0] ?? '') : `[${errors.join(', ')}]` };
}
