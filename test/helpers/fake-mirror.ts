/**
 * An ImageMirror for webhook tests: answers every copy with a fixed outcome
 * (ready with a fixed digest, pending, failed), or throws, or never answers,
 * and records what it was asked.
 */
import type { CopyOutcome, CopyRequest } from '../../src/core/image-decision.js';
import type { EnsureOptions, ImageMirror } from '../../src/mirror/image-mirror.js';

export const FAKE_DIGEST = `sha256:${'d'.repeat(64)}`;

export type FakeMode = 'ready' | 'pending' | 'failed' | 'throw' | 'hang';

export interface EnsureCall {
  readonly requests: readonly CopyRequest[];
  readonly options: EnsureOptions;
}

export class FakeMirror implements ImageMirror {
  mode: FakeMode;
  /** Per request key, overriding `mode` (only ready/pending/failed). */
  readonly byKey = new Map<string, CopyOutcome>();
  readonly calls: EnsureCall[] = [];
  /** Wait this long before answering (an admission in flight during shutdown). */
  delayMs = 0;
  inFlight = 0;
  running = 0;
  drainCalls: number[] = [];
  drainResult = true;

  constructor(mode: FakeMode = 'ready') {
    this.mode = mode;
  }

  async ensure(requests: readonly CopyRequest[], options: EnsureOptions): Promise<ReadonlyMap<string, CopyOutcome>> {
    this.calls.push({ requests: [...requests], options });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.mode === 'throw') throw new Error('fake mirror exploded');
    if (this.mode === 'hang') return new Promise(() => {});
    const outcome = (request: CopyRequest): CopyOutcome => {
      const fixed = this.byKey.get(request.key);
      if (fixed !== undefined) return fixed;
      switch (this.mode) {
        case 'pending':
          return { status: 'pending' };
        case 'failed':
          return { status: 'failed', reason: 'registry said no' };
        default:
          return { status: 'ready', digest: request.source.digest ?? FAKE_DIGEST };
      }
    };
    return new Map(requests.map((request) => [request.key, outcome(request)]));
  }

  async drain(timeoutMs: number): Promise<boolean> {
    this.drainCalls.push(timeoutMs);
    return this.drainResult;
  }
}
