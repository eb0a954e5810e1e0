/**
 * Builds what every stand-in test needs: a fake webhook on loopback behind
 * the Service `hook.webhooks` (the resolver maps it, and any other Service
 * name, to that server, so TLS name checks are real), configurations whose
 * webhooks point at paths of it, and the stand-in. `withHarness` stops the
 * server whatever the test did.
 */
import { createApiServerStandIn } from '../../apiserver/api-server-stand-in.js';
import type { ApiServerStandIn, ApiServerStandInOptions } from '../../apiserver/api-server-stand-in.js';
import type { MutatingWebhookConfiguration, ParseOptions } from '../../apiserver/webhook-configuration.js';
import type { ServiceResolver, UrlHostResolver } from '../../apiserver/webhook-target.js';
import { parseWebhookConfiguration } from '../../apiserver/webhook-configuration.js';
import { sharedTestPki } from '../../helpers/tls.js';
import type { TestPki } from '../../helpers/tls.js';
import { startFakeWebhook } from './fake-webhook.js';
import type { FakeWebhook, Script } from './fake-webhook.js';

export const SERVICE_HOST = 'hook.webhooks.svc';

export function testPki(): Promise<TestPki> {
  return sharedTestPki({ extraDnsNames: [SERVICE_HOST] });
}

export function caBundleOf(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

/** A webhook entry with test defaults; `overrides` replace whole fields. */
export function webhookDoc(short: string, caBundle: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `${short}.example.com`,
    clientConfig: { service: { namespace: 'webhooks', name: 'hook', path: `/${short}` }, caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...overrides,
  };
}

export function configDoc(name: string, webhooks: readonly Record<string, unknown>[]): Record<string, unknown> {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name }, webhooks };
}

export function makeConfig(name: string, webhooks: readonly Record<string, unknown>[], options: ParseOptions = {}): MutatingWebhookConfiguration {
  return parseWebhookConfiguration(configDoc(name, webhooks), options);
}

export interface Harness {
  readonly api: ApiServerStandIn;
  readonly server: FakeWebhook;
  readonly pki: TestPki;
  readonly caBundle: string;
}

export interface HarnessOptions
  extends Omit<Partial<ApiServerStandInOptions>, 'webhookConfigurations' | 'resolveService' | 'resolveUrlHost'> {
  /** Configurations, given the CA bundle that trusts the fake webhook. */
  readonly configs: (caBundle: string) => readonly MutatingWebhookConfiguration[];
  readonly script: Script;
  /** Defaults to: every Service is the fake webhook. */
  readonly resolveService?: (server: FakeWebhook) => ServiceResolver;
  readonly resolveUrlHost?: (server: FakeWebhook) => UrlHostResolver;
}

export async function withHarness(options: HarnessOptions, test: (harness: Harness) => Promise<void>): Promise<void> {
  const pki = await testPki();
  const server = await startFakeWebhook(pki, options.script);
  try {
    const caBundle = caBundleOf(pki.ca.certPem);
    const { configs, resolveService, resolveUrlHost, script: _script, ...rest } = options;
    const api = createApiServerStandIn({
      namespaces: { default: {}, team: { team: 'a' } },
      ...rest,
      resolveService: resolveService?.(server) ?? (() => ({ host: '127.0.0.1', port: server.port })),
      ...(resolveUrlHost === undefined ? {} : { resolveUrlHost: resolveUrlHost(server) }),
      webhookConfigurations: configs(caBundle),
    });
    await test({ api, server, pki, caBundle });
  } finally {
    await server.close();
  }
}

export function pod(name: string, extra: { labels?: Record<string, string>; generateName?: string; image?: string } = {}): Record<string, unknown> {
  const metadata: Record<string, unknown> = extra.generateName === undefined ? { name } : { generateName: extra.generateName };
  if (extra.labels !== undefined) metadata.labels = extra.labels;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'c', image: extra.image ?? 'alpine:3.12' }] } };
}

export const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
export const POD_KIND = { group: '', version: 'v1', kind: 'Pod' } as const;

/** The value at an RFC 6901 pointer, or undefined. */
export function valueAt(document: unknown, pointer: string): unknown {
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (typeof node === 'object' && node !== null) node = Object.entries(node).find(([key]) => key === token)?.[1];
    else return undefined;
  }
  return node;
}
