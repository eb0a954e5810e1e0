/**
 * Reading MutatingWebhookConfigurations as kube-apiserver does on create:
 * v1 defaults (failurePolicy Fail, matchPolicy Equivalent, empty selectors,
 * scope *, timeoutSeconds 10, reinvocationPolicy Never, port 443), strict
 * webhook fields, and the validation that refuses what a real server would.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readNamespaceLabels, readWebhookConfigurations } from '../apiserver/read-manifests.js';
import { parseWebhookConfiguration, WebhookConfigurationError } from '../apiserver/webhook-configuration.js';
import { configDoc, webhookDoc } from './helpers/harness.js';

const test = suite('webhook configuration');
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

test('v1 defaults', () => {
  const config = parseWebhookConfiguration(
    configDoc('c', [
      {
        name: 'a.example.com',
        clientConfig: { service: { namespace: 'ns', name: 'svc' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      },
    ]),
  );
  const [hook] = config.webhooks;
  assert.is(hook?.failurePolicy, 'Fail');
  assert.is(hook?.matchPolicy, 'Equivalent');
  assert.is(hook?.timeoutSeconds, 10);
  assert.is(hook?.reinvocationPolicy, 'Never');
  assert.equal(hook?.namespaceSelector, {});
  assert.equal(hook?.objectSelector, {});
  assert.is(hook?.rules[0]?.scope, '*');
  assert.is(hook?.clientConfig.service?.port, 443);
  assert.is(hook?.clientConfig.service?.path, undefined);
  assert.is(hook?.clientConfig.caBundle, '');
  assert.equal(hook?.matchConditions, []);
});

const invalid: [string, Record<string, unknown>, RegExp][] = [
  ['name with fewer than three segments', { name: 'example.com' }, /at least three segments/],
  ['timeoutSeconds 0', { timeoutSeconds: 0 }, /between 1 and 30/],
  ['timeoutSeconds 31', { timeoutSeconds: 31 }, /between 1 and 30/],
  ['sideEffects missing', { sideEffects: undefined }, /sideEffects: Required/],
  ['sideEffects Some (v1 create)', { sideEffects: 'Some' }, /sideEffects: Unsupported/],
  ['unknown failurePolicy', { failurePolicy: 'Sometimes' }, /failurePolicy: Unsupported/],
  ['unknown reinvocationPolicy', { reinvocationPolicy: 'Always' }, /reinvocationPolicy: Unsupported/],
  ['no admissionReviewVersions', { admissionReviewVersions: [] }, /admissionReviewVersions: Required/],
  ['only unknown admissionReviewVersions', { admissionReviewVersions: ['v2'] }, /at least one of v1, v1beta1/],
  ['* with other operations', { rules: [{ operations: ['*', 'CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }, /other operations/],
  ['*/* with other resources', { rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['*/*', 'pods'] }] }, /'\*\/\*' is present/],
  ['* with plain resources', { rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['*', 'pods'] }] }, /without subresources/],
  ['pods/* with pods/status', { rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/*', 'pods/status'] }] }, /'pods\/\*' is present/],
  ['unknown scope', { rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Global' }] }, /scope: Unsupported/],
  ['In without values', { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }, /values: Required/],
  ['Exists with values', { objectSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }, /values: Forbidden/],
  ['both url and service', { clientConfig: { url: 'https://x.example.com', service: { namespace: 'n', name: 's' } } }, /exactly one of url or service/],
  ['http url', { clientConfig: { url: 'http://x.example.com/' } }, /'https' is the only allowed URL scheme/],
  ['url with a query', { clientConfig: { url: 'https://x.example.com/?a=b' } }, /query parameters/],
  ['url with user info', { clientConfig: { url: 'https://u:p@x.example.com/' } }, /user information/],
  ['relative service path', { clientConfig: { service: { namespace: 'n', name: 's', path: 'mutate' } } }, /service.path/],
  ['caBundle not base64', { clientConfig: { service: { namespace: 'n', name: 's' }, caBundle: 'not base64!' } }, /caBundle/],
  ['65 matchConditions', { matchConditions: Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: 'true' })) }, /at most 64/],
  ['duplicate matchCondition names', { matchConditions: [{ name: 'a', expression: 'true' }, { name: 'a', expression: 'true' }] }, /Duplicate/],
  ['misspelt field (strict, as kubectl --validate=strict)', { namespaceSelectors: {} }, /namespaceSelectors/],
];

for (const [name, overrides, message] of invalid) {
  test(`refused: ${name}`, () => {
    const doc = configDoc('c', [webhookDoc('a', CA, overrides)]);
    assert.throws(
      () => parseWebhookConfiguration(doc),
      (error: unknown) => error instanceof WebhookConfigurationError && message.test(error.message),
    );
  });
}

test('refused: duplicate webhook names; every problem is listed', () => {
  const doc = configDoc('c', [webhookDoc('a', CA, { timeoutSeconds: 99 }), webhookDoc('a', CA)]);
  try {
    parseWebhookConfiguration(doc);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.ok(error instanceof WebhookConfigurationError);
    assert.is(error.problems.length, 2, error.message);
    assert.match(error.message, /Duplicate value: "a.example.com"/);
  }
});

test('sideEffects Some is accepted for objects stored through v1beta1', () => {
  const config = parseWebhookConfiguration(configDoc('c', [webhookDoc('a', CA, { sideEffects: 'Some' })]), { storedFromV1beta1: true });
  assert.is(config.webhooks[0]?.sideEffects, 'Some');
});

test('reads MWCs and Namespaces from multi-document YAML', () => {
  const yaml = `
apiVersion: v1
kind: Namespace
metadata:
  name: image-cloner
  labels:
    app: image-cloner
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: image-cloner
webhooks:
  - name: image-cloner.image-cloner.io
    clientConfig:
      service: {namespace: image-cloner, name: image-cloner, path: /mutate}
    rules:
      - operations: [CREATE, UPDATE]
        apiGroups: ['']
        apiVersions: [v1]
        resources: [pods, pods/ephemeralcontainers]
    failurePolicy: Ignore
    sideEffects: NoneOnDryRun
    admissionReviewVersions: [v1]
    timeoutSeconds: 5
    reinvocationPolicy: IfNeeded
    namespaceSelector:
      matchExpressions:
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [image-cloner, kube-system]}
`;
  const [config, ...more] = readWebhookConfigurations(yaml);
  assert.is(more.length, 0);
  assert.is(config?.metadata.name, 'image-cloner');
  const hook = config?.webhooks[0];
  assert.is(hook?.failurePolicy, 'Ignore');
  assert.is(hook?.reinvocationPolicy, 'IfNeeded');
  assert.is(hook?.timeoutSeconds, 5);
  assert.is(hook?.clientConfig.service?.path, '/mutate');
  assert.equal(readNamespaceLabels(yaml), { 'image-cloner': { app: 'image-cloner' } });
});

test('YAML syntax errors are reported', () => {
  assert.throws(() => readWebhookConfigurations('a: [1,\n'), /reading manifests/);
});

test.run();
