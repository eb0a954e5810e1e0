/**
 * The vocabulary of the admission decision, shared by the planner
 * (plan-mutation), its messages (decision-messages) and the I/O shell.
 */
import type { SkipReason, SlotClass } from './classify-images.js';
import type { PatchOp } from './json-patch.js';
import type { ImageSlot } from './pod-specs.js';
import type { ImageRef } from './reference.js';

export type { SkipReason } from './classify-images.js';

/** One copy the shell must ensure (cache, then HEAD, then copy) before the decision. */
export interface CopyRequest {
  /** formatImageRef(source): the key of its CopyOutcome. */
  readonly key: string;
  /** The tag is defaulted to "latest" (TagNameOnly), so the copy names one tag. */
  readonly source: ImageRef;
  /** The backup name: same tag, same digest. A digest-only target needs an anchor tag (DESIGN). */
  readonly target: ImageRef;
}

/** What the shell found for one CopyRequest. */
export type CopyOutcome =
  | { readonly status: 'ready'; readonly digest: string }
  /** Past the deadline; the copy goes on in the background. */
  | { readonly status: 'pending' }
  | { readonly status: 'failed'; readonly reason: string };

export type ImageDecision =
  | Exclude<SlotClass, { readonly status: 'needs-copy' }>
  | { readonly status: 'rewritten'; readonly slot: ImageSlot; readonly source: ImageRef; readonly image: string }
  | { readonly status: 'pending'; readonly slot: ImageSlot; readonly source: ImageRef }
  | { readonly status: 'failed'; readonly slot: ImageSlot; readonly source: ImageRef; readonly reason: string };

export type ImageStatus = ImageDecision['status'];

export interface Denial {
  readonly message: string;
  readonly code: number;
}

export interface MutationPlan {
  /** One per image slot, in slot order; empty when the object was skipped. */
  readonly images: readonly ImageDecision[];
  readonly patch: readonly PatchOp[];
  /** Each under 120 characters, at most MAX_WARNINGS. */
  readonly warnings: readonly string[];
  /** Strict mode only: answer `denied` with this, and no patch. */
  readonly deny?: Denial;
  readonly skipped?: SkipReason;
}
