/**
 * The Kubernetes API server's part in mutating admission, for tests and
 * scripts/smoke.ts where no API server can run (CLUSTER-NOTES Part 1, the
 * checklist in 1.12). `admit()` takes one API request's attributes and
 * returns what the client would get: the object as it would be stored
 * (patched) or the rejection Status, plus warnings, audit annotations and a
 * record of every webhook call. Configurations run in name order, webhooks
 * in list order (apiserver pkg/admission/configuration/
 * mutating_webhook_manager.go). Nothing is stored; beyond the Namespace
 * label no defaulting and no validation run (CLUSTER-NOTES 1.12 item 16 is
 * out of scope).
 */
import { randomUUID } from 'node:crypto';
import { createAuditAnnotations } from './audit-annotations.js';
import { NAMESPACE_NAME_LABEL } from './defaulting.js';
import { dispatchMutatingWebhooks } from './dispatcher.js';
import type { EquivalenceTable } from './equivalent-resources.js';
import type { Labels } from './label-selector.js';
import { prepareRequest } from './prepare-request.js';
import type { HookEntry } from './request-attributes.js';
import type { AdmissionAttributes, AdmitResult, ApiStatus, CallRecord, UserInfo } from './types.js';
import { createWarningRecorder } from './warning-recorder.js';
import type { MutatingWebhookConfiguration } from './webhook-configuration.js';
import type { ServiceResolver, UrlHostResolver } from './webhook-target.js';

export interface ApiServerStandInOptions {
  /** Parsed with parseWebhookConfiguration / readWebhookConfigurations. */
  readonly webhookConfigurations: readonly MutatingWebhookConfiguration[];
  readonly resolveService: ServiceResolver;
  readonly resolveUrlHost?: UrlHostResolver;
  /** Stored namespaces and their labels; `kubernetes.io/metadata.name` is added as defaulting does. */
  readonly namespaces?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** matchPolicy Equivalent classes; none by default. */
  readonly equivalentResources?: EquivalenceTable;
  /** The API request's own deadline (kube-apiserver --request-timeout, default 60 s). */
  readonly requestTimeoutSeconds?: number;
  /** The requesting user when a request names none. */
  readonly userInfo?: UserInfo;
  readonly now?: () => number;
  readonly uid?: () => string;
}

export interface ApiServerStandIn {
  admit(request: AdmissionAttributes): Promise<AdmitResult>;
  /** Creates or relabels a stored namespace. */
  setNamespace(name: string, labels: Readonly<Record<string, string>>): void;
  /** Replaces the configurations, as an update of the MWCs would (e.g. the webhook patching in its caBundle). */
  setWebhookConfigurations(configurations: readonly MutatingWebhookConfiguration[]): void;
  /** `<configuration>/<webhook>` in call order. */
  webhookOrder(): string[];
}

type Outcome = { readonly allowed: true; readonly object: unknown } | { readonly allowed: false; readonly status: ApiStatus };

const DEFAULT_USER: UserInfo = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };

function byName(a: MutatingWebhookConfiguration, b: MutatingWebhookConfiguration): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

function flattenHooks(configurations: readonly MutatingWebhookConfiguration[]): HookEntry[] {
  return [...configurations]
    .sort(byName)
    .flatMap((config) =>
      config.webhooks.map((webhook, i) => ({ configuration: config.metadata.name, webhook, uid: `${config.metadata.name}/${webhook.name}/${i}` })),
    )
    .map((hook, index) => ({ ...hook, index }));
}

export function createApiServerStandIn(options: ApiServerStandInOptions): ApiServerStandIn {
  const now = options.now ?? Date.now;
  const newUid = options.uid ?? randomUUID;
  const namespaces = new Map<string, Labels>();
  const setNamespace = (name: string, labels: Readonly<Record<string, string>>): void => {
    namespaces.set(name, { ...labels, [NAMESPACE_NAME_LABEL]: name });
  };
  for (const [name, labels] of Object.entries(options.namespaces ?? {})) setNamespace(name, labels);

  let hooks = flattenHooks(options.webhookConfigurations);

  const admit = async (request: AdmissionAttributes): Promise<AdmitResult> => {
    const warnings = createWarningRecorder();
    const annotations = createAuditAnnotations();
    const done = (outcome: Outcome, calls: readonly CallRecord[]): AdmitResult => ({
      ...outcome,
      warnings: warnings.texts(),
      warningHeaders: warnings.headers(),
      auditAnnotations: annotations.entries(),
      calls,
    });

    const prepared = prepareRequest(request, options.userInfo ?? DEFAULT_USER);
    if (prepared.kind === 'exempt') return done({ allowed: true, object: prepared.object }, []);
    if (prepared.kind === 'reject') return done({ allowed: false, status: prepared.status }, []);
    const result = await dispatchMutatingWebhooks({
      hooks, // the list as it is when the request arrives
      attributes: prepared.attributes,
      object: prepared.object,
      match: { equivalents: options.equivalentResources ?? [], namespaceLabels: (ns) => namespaces.get(ns) },
      call: {
        now,
        newUid,
        deadline: now() + (options.requestTimeoutSeconds ?? 60) * 1000,
        resolveService: options.resolveService,
        resolveUrlHost: options.resolveUrlHost,
        annotations,
        warnings,
      },
    });
    return done(result.allowed ? { allowed: true, object: result.object } : { allowed: false, status: result.status }, result.calls);
  };

  return {
    admit,
    setNamespace,
    setWebhookConfigurations: (configurations) => {
      hooks = flattenHooks(configurations);
    },
    webhookOrder: () => hooks.map((hook) => `${hook.configuration}/${hook.webhook.name}`),
  };
}
