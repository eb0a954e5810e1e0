/**
 * The MutatingWebhookConfiguration of every install: one webhook whose
 * rules cover exactly the kinds src/core/pod-specs.ts rewrites (plus the
 * ephemeral-containers subresource), never blocks (Ignore, timeout above the
 * copy budget), supports dry run, calls our Service, leaves caBundle to the
 * runtime, and, evaluated as the API server does, never selects the
 * webhook's own Pods (no deadlock, whatever the apply order) nor kube-system
 * nor opted-out namespaces and objects.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WORKLOAD_KINDS, toWorkloadKind } from '../../src/core/pod-specs.js';
import { parseServeConfig } from '../../src/server/config.js';
import { CERT_MANAGER_INSTALL, INSTALLS } from './installs.js';
import { parseLabelSelector, selectorMatches } from './label-selector.js';
import { NAMESPACE, at, list, one, podLabels, record, webhookConfig } from './render.js';
import type { KubeObject } from './render.js';

const OPT_OUT = 'image-cloner.io/ignore';

/** Resource (plural) -> kind, for the resources a pod-bearing rule may name. */
const KIND_OF_RESOURCE: Readonly<Record<string, string>> = {
  pods: 'Pod',
  podtemplates: 'PodTemplate',
  replicationcontrollers: 'ReplicationController',
  deployments: 'Deployment',
  replicasets: 'ReplicaSet',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

function theWebhook(objects: readonly KubeObject[]): Record<string, unknown> {
  const mwc = one(objects, 'MutatingWebhookConfiguration', 'image-cloner');
  const webhooks = list(mwc['webhooks'], 'webhooks');
  assert.is(webhooks.length, 1, 'one webhook');
  return record(webhooks[0], 'webhook');
}

/** Every (operation, group, version, resource) the rules match, as strings. */
function ruleTuples(webhook: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const rule of list(webhook['rules'], 'rules')) {
    for (const op of list(at(rule, 'operations'), 'operations')) {
      for (const group of list(at(rule, 'apiGroups'), 'apiGroups')) {
        for (const version of list(at(rule, 'apiVersions'), 'apiVersions')) {
          for (const resource of list(at(rule, 'resources'), 'resources')) {
            out.push(`${String(op)} ${String(group) || 'core'}/${String(version)} ${String(resource)}`);
          }
        }
      }
    }
  }
  return out.sort();
}

/** The labels a Namespace has at admission: its own plus kubernetes.io/metadata.name (CLUSTER-NOTES 1.4). */
function namespaceLabels(name: string, labels: Record<string, string> = {}): Record<string, string> {
  return { ...labels, 'kubernetes.io/metadata.name': name };
}

const test = suite('manifests: the MutatingWebhookConfiguration');

test('the rules cover exactly the kinds the webhook rewrites, CREATE and UPDATE, and kubectl debug', () => {
  const webhook = theWebhook(INSTALLS[0]?.objects() ?? []);
  const tuples = ruleTuples(webhook);
  const expected = [
    ...['pods', 'podtemplates', 'replicationcontrollers'].flatMap((r) => [`CREATE core/v1 ${r}`, `UPDATE core/v1 ${r}`]),
    ...['deployments', 'replicasets', 'statefulsets', 'daemonsets'].flatMap((r) => [`CREATE apps/v1 ${r}`, `UPDATE apps/v1 ${r}`]),
    ...['jobs', 'cronjobs'].flatMap((r) => [`CREATE batch/v1 ${r}`, `UPDATE batch/v1 ${r}`]),
    'UPDATE core/v1 pods/ephemeralcontainers',
  ].sort();
  assert.equal(tuples, expected);

  // Cross-check with the core: every resource is a kind findImageSlots
  // handles, in its own group, and every such kind has a rule.
  const covered = new Set<string>();
  for (const rule of list(webhook['rules'], 'rules')) {
    for (const group of list(at(rule, 'apiGroups'), 'apiGroups')) {
      for (const resource of list(at(rule, 'resources'), 'resources')) {
        const main = String(resource).split('/')[0] ?? '';
        const kind = KIND_OF_RESOURCE[main];
        assert.ok(kind !== undefined, `${String(resource)} is a pod-bearing resource`);
        const workload = toWorkloadKind({ group: String(group), kind });
        assert.ok(workload !== undefined, `${String(group) || 'core'} ${kind} is rewritten by the webhook`);
        covered.add(workload);
      }
    }
    assert.is(at(rule, 'scope'), 'Namespaced');
  }
  assert.equal([...covered].sort(), [...WORKLOAD_KINDS].sort());
});

test('no wildcard anywhere in the rules (a "*" resource would send every kind, a "*/*" every subresource)', () => {
  for (const install of INSTALLS) {
    const text = JSON.stringify(at(theWebhook(install.objects()), 'rules'));
    assert.not.ok(text.includes('*'), install.name);
  }
});

for (const install of INSTALLS) {
  const objects = install.objects;

  test(`${install.name}: the same webhook in every install`, () => {
    assert.equal(at(theWebhook(objects()), 'rules'), at(theWebhook(INSTALLS[0]?.objects() ?? []), 'rules'));
  });

  test(`${install.name}: never blocks, supports dry run, v1 reviews, reinvocation, equivalent versions`, () => {
    const webhook = theWebhook(objects());
    assert.is(webhook['name'], 'image-cloner.image-cloner.io');
    assert.is(webhook['failurePolicy'], 'Ignore');
    assert.is(webhook['sideEffects'], 'NoneOnDryRun');
    assert.equal(webhook['admissionReviewVersions'], ['v1']);
    assert.is(webhook['reinvocationPolicy'], 'IfNeeded');
    assert.is(webhook['matchPolicy'], 'Equivalent');
    assert.is(webhook['matchConditions'], undefined);
  });

  test(`${install.name}: timeoutSeconds leaves the copy budget whole (budget + 1.5 s margin <= timeout <= 30)`, () => {
    const timeout = theWebhook(objects())['timeoutSeconds'];
    assert.type(timeout, 'number');
    const seconds = Number(timeout);
    assert.ok(seconds > 7 && seconds <= 30, `timeoutSeconds ${seconds}`);
    const files = { TLS_CERT_FILE: '/x/tls.crt', TLS_KEY_FILE: '/x/tls.key' };
    const budgetMs = parseServeConfig({ ...files, ...webhookConfig(objects()) }).copyBudgetMs;
    // The handler answers by ?timeout= minus 1.5 s (README): below that the
    // budget would be cut short on every slow copy.
    assert.ok(budgetMs + 1_500 <= seconds * 1_000, `budget ${budgetMs} ms fits in ${seconds} s`);
  });

  test(`${install.name}: calls our Service at /mutate on 443, with no caBundle written in the manifest`, () => {
    const webhook = theWebhook(objects());
    const clientConfig = record(webhook['clientConfig'], 'clientConfig');
    assert.equal(clientConfig, { service: { name: 'image-cloner', namespace: NAMESPACE, path: '/mutate', port: 443 } });
    // Not even "": a re-apply would reset the bundle the webhook or cert-manager put there.
    assert.not.ok('caBundle' in clientConfig);
    const service = one(objects(), 'Service', 'image-cloner');
    assert.is(service.metadata.namespace, NAMESPACE);
    assert.ok(list(at(service, 'spec', 'ports'), 'ports').some((p) => at(p, 'port') === 443));
  });

  test(`${install.name}: the namespace selector excludes image-cloner and kube-system by name, and opted-out namespaces`, () => {
    const webhook = theWebhook(objects());
    assert.equal(webhook['namespaceSelector'], {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NAMESPACE, 'kube-system'] },
        { key: OPT_OUT, operator: 'NotIn', values: ['true'] },
      ],
    });
    const selector = parseLabelSelector(webhook['namespaceSelector']);
    const ownNamespace = one(objects(), 'Namespace', NAMESPACE);
    // Its own namespace, even stripped of the opt-out label (by name alone).
    assert.not.ok(selectorMatches(selector, namespaceLabels(NAMESPACE, ownNamespace.metadata.labels)));
    assert.not.ok(selectorMatches(selector, namespaceLabels(NAMESPACE)));
    assert.not.ok(selectorMatches(selector, namespaceLabels('kube-system')));
    assert.not.ok(selectorMatches(selector, namespaceLabels('team-a', { [OPT_OUT]: 'true' })));
    assert.ok(selectorMatches(selector, namespaceLabels('default')));
    assert.ok(selectorMatches(selector, namespaceLabels('team-a', { [OPT_OUT]: 'false' })));
    // The namespace the Deployment runs in is one of the excluded ones.
    const deployment = one(objects(), 'Deployment', 'image-cloner');
    assert.not.ok(selectorMatches(selector, namespaceLabels(deployment.metadata.namespace ?? '')));
  });

  test(`${install.name}: the object selector honours the opt-out label, and the webhook's own Pods carry it`, () => {
    const webhook = theWebhook(objects());
    assert.equal(webhook['objectSelector'], { matchExpressions: [{ key: OPT_OUT, operator: 'NotIn', values: ['true'] }] });
    const selector = parseLabelSelector(webhook['objectSelector']);
    assert.ok(selectorMatches(selector, {}));
    assert.ok(selectorMatches(selector, { app: 'web' }));
    assert.not.ok(selectorMatches(selector, { app: 'web', [OPT_OUT]: 'true' }));
    const deployment = one(objects(), 'Deployment', 'image-cloner');
    assert.not.ok(selectorMatches(selector, podLabels(deployment)), "the webhook's own Pods opt out");
  });
}

test('cert-manager: the CA is injected from the serving Certificate, issued for the Service name the API server checks', () => {
  const objects = CERT_MANAGER_INSTALL.objects();
  const mwc = one(objects, 'MutatingWebhookConfiguration', 'image-cloner');
  const from = mwc.metadata.annotations?.['cert-manager.io/inject-ca-from'];
  assert.is(from, `${NAMESPACE}/image-cloner`);
  const [namespace, name] = (from ?? '').split('/');
  const certificate = one(objects, 'Certificate', name);
  assert.is(certificate.metadata.namespace, namespace);
  const dnsNames = list(at(certificate, 'spec', 'dnsNames'), 'dnsNames');
  assert.ok(dnsNames.includes('image-cloner.image-cloner.svc'), 'the name the API server verifies (CLUSTER-NOTES 1.6)');
  assert.ok(dnsNames.includes('image-cloner.image-cloner.svc.cluster.local'));
  for (const install of INSTALLS) {
    const annotations = one(install.objects(), 'MutatingWebhookConfiguration').metadata.annotations ?? {};
    assert.is('cert-manager.io/inject-ca-from' in annotations, install.certManager, install.name);
  }
});

test.run();
