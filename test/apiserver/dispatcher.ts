/**
 * The mutating webhook chain for one request (CLUSTER-NOTES 1.1, 1.9, 1.10;
 * src `mutating/dispatcher.go` Dispatch and `mutating/reinvocationcontext.go`,
 * apiserver pkg/admission/reinvocation.go): webhooks called one at a time in
 * order, each seeing the object as patched so far. A call error fails the
 * request (500) under failurePolicy Fail and is skipped under Ignore (504
 * once the request's own deadline has passed); a denial, a patch that does
 * not apply or a refused dry run rejects it whatever the policy.
 *
 * Reinvocation: a semantic change marks every IfNeeded webhook called
 * before it (since the previous change) for reinvocation; the changer is
 * only added to that list afterwards, so it does not mark itself. If
 * anything changed in round 0 there is exactly one more round, calling only
 * marked webhooks that still match. The stand-in runs no in-tree plugins,
 * so the object cannot change between rounds and that reason to reinvoke
 * everything never arises.
 */
import { callWebhook } from './call-webhook.js';
import type { CallEnvironment } from './call-webhook.js';
import type { HookEntry, RequestAttributes } from './request-attributes.js';
import { shouldCallHook } from './should-call-hook.js';
import type { MatchEnvironment } from './should-call-hook.js';
import { internalError, requestTimeout } from './status-errors.js';
import type { ApiStatus, CallOutcome, CallRecord } from './types.js';

export interface DispatchInput {
  readonly hooks: readonly HookEntry[];
  readonly attributes: RequestAttributes;
  readonly object: unknown;
  readonly match: MatchEnvironment;
  readonly call: CallEnvironment;
}

export type DispatchResult =
  | { readonly allowed: true; readonly object: unknown; readonly calls: readonly CallRecord[] }
  | { readonly allowed: false; readonly status: ApiStatus; readonly calls: readonly CallRecord[] };

export async function dispatchMutatingWebhooks(input: DispatchInput): Promise<DispatchResult> {
  const { hooks, attributes, match, call: env } = input;
  const calls: CallRecord[] = [];
  const reinvoke = new Set<string>();
  let previouslyInvoked = new Set<string>();
  let shouldReinvoke = false;
  let object = input.object;

  for (const round of [0, 1] as const) {
    if (round === 1 && !shouldReinvoke) break;
    for (const hook of hooks) {
      const decision = shouldCallHook(hook.webhook, attributes, object, match);
      if (decision.kind === 'reject') return { allowed: false, status: decision.status, calls };
      if (decision.kind === 'skip') continue;
      // A webhook not called in round 0 is never called in round 1.
      if (round === 1 && !reinvoke.has(hook.uid)) continue;

      const started = env.now();
      const result = await callWebhook({ round, hook, invocation: decision.invocation, attributes, object }, env);
      const changed = result.kind === 'ok' && result.changed;
      if (changed) {
        for (const uid of previouslyInvoked) reinvoke.add(uid);
        previouslyInvoked = new Set();
        shouldReinvoke = true;
      }
      if (hook.webhook.reinvocationPolicy === 'IfNeeded') previouslyInvoked.add(hook.uid);

      const ignore = hook.webhook.failurePolicy === 'Ignore';
      let outcome: CallOutcome;
      let error: string | undefined;
      switch (result.kind) {
        case 'ok':
          outcome = 'allowed';
          break;
        case 'call-error':
          outcome = ignore ? 'failed-open' : 'failed-closed';
          error = `failed calling webhook "${hook.webhook.name}": ${result.message}`;
          break;
        case 'reject':
          outcome = result.outcome;
          error = result.status.message;
          break;
      }
      calls.push({
        round,
        index: hook.index,
        configuration: hook.configuration,
        webhook: hook.webhook.name,
        url: result.url,
        uid: result.uid,
        outcome,
        changed,
        ...(error === undefined ? {} : { error }),
        ms: env.now() - started,
      });

      if (result.kind === 'ok') {
        object = result.object;
        continue;
      }
      if (result.kind === 'reject') return { allowed: false, status: result.status, calls };
      if (!ignore) return { allowed: false, status: internalError(error ?? result.message), calls };
      env.annotations.add(`failed-open.mutation.webhook.admission.k8s.io/round_${round}_index_${hook.index}`, hook.webhook.name);
      if (env.now() >= env.deadline) return { allowed: false, status: requestTimeout(), calls };
    }
  }
  return { allowed: true, object, calls };
}
