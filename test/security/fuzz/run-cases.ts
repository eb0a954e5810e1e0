/**
 * Drives fuzz cases through an answerer (the handler in process, or the
 * HTTPS server) and checks each answer, plus Object.prototype and
 * Array.prototype staying clean. A failure names the case's seed and steps.
 */
import type { Answer, AnswerKind, Expectations } from './invariants.js';
import { checkAnswer } from './invariants.js';
import { isRecord } from './pod-spec-paths.js';
import { encodeCase, mutateReview } from './mutators.js';
import type { FuzzCase } from './mutators.js';
import { Prng } from './prng.js';

export interface FuzzRun {
  readonly cases: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly kinds: ReadonlyMap<AnswerKind, number>;
}

export interface FuzzPlan {
  readonly seeds: readonly unknown[];
  readonly count: number;
  readonly firstSeed: number;
  readonly expect: Expectations;
  /** Per case, after mutation: e.g. keep every copy on loopback registries. */
  readonly confine?: (review: unknown) => void;
  answer(body: Buffer, fuzz: FuzzCase): Promise<Answer>;
}

const PROTOTYPE_NAMES = JSON.stringify([Object.getOwnPropertyNames(Object.prototype), Object.getOwnPropertyNames(Array.prototype)]);

export function assertPrototypesClean(): void {
  const now = JSON.stringify([Object.getOwnPropertyNames(Object.prototype), Object.getOwnPropertyNames(Array.prototype)]);
  const probe: Record<string, unknown> = {};
  if (now !== PROTOTYPE_NAMES || probe['polluted'] !== undefined || probe['image'] !== undefined) {
    throw new Error('Object.prototype or Array.prototype was polluted');
  }
}

export async function runFuzz(plan: FuzzPlan): Promise<FuzzRun> {
  const statuses = new Map<number, number>();
  const kinds = new Map<AnswerKind, number>();
  for (let i = 0; i < plan.count; i++) {
    const seed = plan.firstSeed + i;
    const rng = new Prng(seed);
    const base = structuredClone(rng.pick(plan.seeds));
    setUid(base, `fuzz-${seed}`);
    const mutated = mutateReview(base, rng);
    plan.confine?.(mutated.value);
    const { bytes, fuzz } = encodeCase(mutated);
    try {
      const answer = await plan.answer(bytes, fuzz);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const kind = checkAnswer(fuzz, answer, plan.expect);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      assertPrototypesClean();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`fuzz case seed=${seed} steps=${fuzz.steps.join(',')}: ${message}`, { cause: error });
    }
  }
  return { cases: plan.count, statuses, kinds };
}

function setUid(review: unknown, uid: string): void {
  const request = isRecord(review) ? review['request'] : undefined;
  if (isRecord(request)) request['uid'] = uid;
}
