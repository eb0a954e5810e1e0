/**
 * The dispatcher's view of one request and of the webhooks it may call
 * (src `generic/interfaces.go` WebhookInvocation and the admission
 * Attributes): the request as normalised before admission, minus the
 * object, which changes as webhooks patch it.
 */
import type { GroupVersionKind, GroupVersionResource, Operation, UserInfo } from './types.js';
import type { MutatingWebhook } from './webhook-configuration.js';

export interface HookEntry {
  readonly configuration: string;
  readonly webhook: MutatingWebhook;
  /** Position in the flattened, name-sorted list. */
  readonly index: number;
  /** Identity across rounds (upstream: configuration name, webhook name, index). */
  readonly uid: string;
}

/** What the webhook is sent as: the request's resource, or the Equivalent one that matched. */
export interface Invocation {
  readonly resource: GroupVersionResource;
  readonly subResource: string;
  readonly kind: GroupVersionKind;
}

/** The request after normalisation: everything the review needs except the (changing) object. */
export interface RequestAttributes {
  readonly operation: Operation;
  readonly resource: GroupVersionResource;
  readonly subResource: string;
  readonly kind: GroupVersionKind;
  readonly name: string;
  readonly namespace: string;
  readonly userInfo: UserInfo;
  readonly dryRun: boolean;
  readonly options: unknown;
  /** null on CREATE and CONNECT. */
  readonly oldObject: unknown;
}
