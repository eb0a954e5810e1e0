/**
 * The Kubernetes API server stand-in for mutating admission (see
 * api-server-stand-in.ts): what tests and scripts/smoke.ts import.
 */
export { createApiServerStandIn } from './api-server-stand-in.js';
export type { ApiServerStandIn, ApiServerStandInOptions } from './api-server-stand-in.js';
export type { EquivalenceTable, EquivalentResource } from './equivalent-resources.js';
export { readManifestDocuments, readNamespaceLabels, readWebhookConfigurations } from './read-manifests.js';
export type {
  AdmissionAttributes,
  AdmitResult,
  ApiStatus,
  CallOutcome,
  CallRecord,
  GroupVersionKind,
  GroupVersionResource,
  Operation,
  UserInfo,
} from './types.js';
export { parseWebhookConfiguration, WebhookConfigurationError } from './webhook-configuration.js';
export type { MutatingWebhook, MutatingWebhookConfiguration, ParseOptions } from './webhook-configuration.js';
export type { Address, ServiceResolver, UrlHostResolver } from './webhook-target.js';
