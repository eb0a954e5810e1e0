/**
 * `POST /mutate`: an AdmissionReview body in, an HTTP answer out.
 *
 * It always answers (STYLE rule 6). A body that is not an AdmissionReview
 * v1 with a request uid gets 400: there is no review to answer, and the API
 * server treats it as a call error, like any other (CLUSTER-NOTES 1.8/1.10).
 * Everything else gets 200 and a review with the request's uid. An
 * unexpected exception admits the object unchanged with a warning, like a
 * failed copy; in strict mode it denies with 503 (Service Unavailable: the
 * fault is ours and may pass, so the client may retry), with the same
 * message. Never a 500.
 */
import { z } from 'zod';
import { allowed, denied, parseAdmissionReview, patched } from '../core/admission-review.js';
import type { AdmissionRequest, AdmissionReviewResponse } from '../core/admission-review.js';
import { formatWarning } from '../core/admission-warnings.js';
import type { CopyOutcome, CopyRequest, ImageStatus, MutationPlan } from '../core/image-decision.js';
import type { MutationPolicy } from '../core/mutation-policy.js';
import { classifyImages, collectImages, planMutation } from '../core/plan-mutation.js';
import type { ImageMirror } from '../mirror/image-mirror.js';
import type { PullCredentialSource } from '../mirror/pull-credentials.js';
import { computeDeadline } from './admission-deadline.js';
import { AnswerCache, answerBody, answerKey, peekAnswerKey, splitAroundUid } from './answer-cache.js';
import type { AnswerKey, CachedAnswer } from './answer-cache.js';
import { ensureWithin } from './ensure-within.js';
import { errorFields } from './logger.js';
import type { Logger } from './logger.js';
import { lookupPullCredentials } from './lookup-pull-credentials.js';
import type { AdmissionOutcome, ServerMetrics } from './metrics.js';

export const INTERNAL_ERROR_MESSAGE = 'image-cloner: internal error; images left unchanged';

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** `timeoutParam`: the `timeout` query parameter of the request URL, if any. */
export type AdmissionHandler = (body: Uint8Array, timeoutParam: string | null) => Promise<HttpAnswer>;

export interface AdmissionHandlerOptions {
  readonly policy: MutationPolicy;
  readonly mirror: ImageMirror;
  /** COPY_BUDGET_SECONDS in milliseconds. */
  readonly copyBudgetMs: number;
  readonly logger: Logger;
  readonly metrics?: ServerMetrics;
  readonly now?: () => number;
  /**
   * PULL_SECRETS_LOOKUP: credentials for source registries from the object's
   * pull secrets (pod spec's and ServiceAccount's) in its namespace.
   */
  readonly pullCredentials?: PullCredentialSource | undefined;
  /** Repeated requests answered again without planning (answer-cache.ts); on unless false. */
  readonly answerCache?: boolean;
}

const objectNameSchema = z.looseObject({
  metadata: z.looseObject({ generateName: z.string().optional() }).nullish(),
});

export function createAdmissionHandler(options: AdmissionHandlerOptions): AdmissionHandler {
  const { policy, mirror, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const answers = options.answerCache === false ? undefined : new AnswerCache();
  const ready = (requests: readonly CopyRequest[]): ReadonlyMap<string, CopyOutcome> | undefined => mirror.ready?.(requests);

  const finish = (outcome: AdmissionOutcome, started: number, body: string): HttpAnswer => {
    metrics?.recordAdmission(outcome, (now() - started) / 1000);
    return { status: 200, contentType: 'application/json', body };
  };

  const replay = (answer: CachedAnswer, uid: string, started: number): HttpAnswer => {
    metrics?.recordImages(answer.images);
    logger.info('admission', { uid, ...answer.fields, ms: now() - started });
    metrics?.recordAdmission(answer.outcome, (now() - started) / 1000);
    return { status: 200, contentType: 'application/json', body: answerBody(answer, uid) };
  };

  const admit = async (
    request: AdmissionRequest,
    timeout: string | null,
    started: number,
    answerKeyOf: AnswerKey | undefined,
  ): Promise<HttpAnswer> => {
    const dryRun = request.dryRun === true;
    let plan: MutationPlan | undefined;
    let review: AdmissionReviewResponse;
    let outcome: AdmissionOutcome;
    let failure: unknown;
    let copies = 0;
    let outcomes: ReadonlyMap<string, CopyOutcome> = new Map();
    let requests: readonly CopyRequest[] = [];
    try {
      const classification = classifyImages(request, policy);
      requests = collectImages(request, policy, classification);
      copies = requests.length;
      const deadline = computeDeadline(started, options.copyBudgetMs, timeout);
      // Nothing to copy (all excluded or already in the backup): no mirror call, no Secret read.
      // All already copied: no promise, no deadline timer either.
      const known = requests.length > 0 ? ready(requests) : undefined;
      if (known !== undefined) outcomes = known;
      else if (requests.length > 0) {
        const pull = options.pullCredentials;
        const credentials = pull === undefined ? undefined : await lookupPullCredentials(pull, request, deadline, logger, now);
        outcomes = await ensureWithin(mirror, requests, { dryRun, deadline, credentials }, logger, now);
      }
      plan = planMutation(request, policy, outcomes, classification);
      if (plan.deny !== undefined) {
        review = denied(request.uid, plan.deny.message, plan.deny.code, plan.warnings);
        outcome = 'denied';
      } else {
        review = patched(request.uid, plan.patch, plan.warnings);
        outcome = plan.skipped !== undefined ? 'skipped' : plan.patch.length > 0 ? 'patched' : 'allowed';
      }
    } catch (error) {
      failure = error;
      outcome = 'error';
      review = policy.strict
        ? denied(request.uid, INTERNAL_ERROR_MESSAGE, 503)
        : allowed(request.uid, [INTERNAL_ERROR_MESSAGE]);
    }
    const images = countImages(plan);
    if (plan !== undefined) metrics?.recordImages(images);
    const stable = {
      kind: request.kind.kind,
      namespace: request.namespace,
      name: nameOf(request),
      operation: request.operation,
      subResource: request.subResource === '' ? undefined : request.subResource,
      dryRun,
      images: Object.fromEntries(images),
      copies,
      outcome,
      skipped: plan?.skipped,
      warnings: review.response.warnings?.length ?? 0,
    };
    const fields = { uid: request.uid, ...stable, ms: now() - started };
    let body: string | undefined;
    if (answers !== undefined && answerKeyOf !== undefined && failure === undefined && isFinal(plan)) {
      const serialized = splitAroundUid((uid) => JSON.stringify({ ...review, response: { ...review.response, uid } }));
      const digests = new Map<string, string>();
      for (const [key, copy] of outcomes) if (copy.status === 'ready') digests.set(key, copy.digest);
      answers.set(answerKeyOf, { ...serialized, outcome, requests, digests, images, fields: stable });
      // The answer is the cached one with this uid: serialized once.
      body = answerBody(serialized, request.uid);
    }
    if (failure === undefined) logger.info('admission', fields);
    else {
      const stack = logger.isEnabled('debug') && failure instanceof Error ? { stack: failure.stack } : {};
      logger.error('admission', { ...fields, ...errorFields(failure), ...stack });
    }
    return finish(outcome, started, body ?? JSON.stringify(review));
  };

  return async (body, timeoutParam) => {
    const started = now();
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      return badRequest('request body is not JSON');
    }
    // A repeated request is answered before it is even parsed (answer-cache.ts peekAnswerKey).
    const peeked = answers === undefined ? undefined : peekAnswerKey(text);
    const answer = peeked === undefined ? undefined : answers?.get(peeked, ready);
    if (answer !== undefined && peeked !== undefined) return replay(answer, peeked.uid, started);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return badRequest('request body is not JSON');
    }
    try {
      const keyed = answers === undefined ? undefined : answerKey(json, text);
      const parsed = parseAdmissionReview(json);
      switch (parsed.kind) {
        case 'unanswerable':
          return badRequest(`not an AdmissionReview admission.k8s.io/v1 with a request uid (${parsed.problem})`);
        case 'malformed': {
          const ms = now() - started;
          logger.warn('admission', { uid: parsed.uid, outcome: 'malformed', problem: parsed.problem, ms });
          const warning = formatWarning(`unreadable request (${parsed.problem}); images left unchanged`);
          return finish('malformed', started, JSON.stringify(allowed(parsed.uid, [warning])));
        }
        case 'request':
          return await admit(parsed.request, timeoutParam, started, keyed);
      }
    } catch (error) {
      // Reachable only through a bug outside the guarded admission (parsing, logging).
      logger.error('admission handler failed', errorFields(error));
    }
    return badRequest('request could not be read');
  };
}

function badRequest(message: string): HttpAnswer {
  // Bounded: zod's problem text quotes parts of the body.
  const text = message.length > 300 ? `${message.slice(0, 297)}...` : message;
  return { status: 400, contentType: 'text/plain; charset=utf-8', body: `${text}\n` };
}

/** Worth answering again: nothing pending or failed, no denial (a later copy could change either). */
function isFinal(plan: MutationPlan | undefined): plan is MutationPlan {
  return plan !== undefined && plan.deny === undefined && plan.images.every((image) => image.status !== 'pending' && image.status !== 'failed');
}

function countImages(plan: MutationPlan | undefined): Map<ImageStatus, number> {
  const counts = new Map<ImageStatus, number>();
  for (const image of plan?.images ?? []) counts.set(image.status, (counts.get(image.status) ?? 0) + 1);
  return counts;
}

/** `name` is empty on a CREATE that uses generateName (how ReplicaSets create Pods, CLUSTER-NOTES 1.7). */
function nameOf(request: AdmissionRequest): string | undefined {
  if (request.name !== undefined && request.name !== '') return request.name;
  const parsed = objectNameSchema.safeParse(request.object);
  const generateName = parsed.success ? parsed.data.metadata?.generateName : undefined;
  return generateName === undefined ? undefined : `${generateName}*`;
}
