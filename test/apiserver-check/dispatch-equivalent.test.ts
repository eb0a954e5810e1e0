/**
 * CLUSTER-NOTES 1.12 item 9: matchPolicy Equivalent sends a request for
 * another served version of the same resource, converted to the version
 * the rule names (kind/resource say that version, requestKind/
 * requestResource the client's), and converts the patched object back;
 * Exact sends nothing. The equivalence table is the test's own: the
 * stand-in has none by default.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EquivalenceTable } from '../apiserver/equivalent-resources.js';
import type { AdmissionAttributes } from '../apiserver/types.js';
import { allow, patchWith } from './helpers/fake-webhook.js';
import { makeConfig, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('matchPolicy');

const gvr = (version: string) => ({ group: 'stable.example.com', version, resource: 'widgets' });
const gvk = (version: string) => ({ group: 'stable.example.com', version, kind: 'Widget' });
const TABLE: EquivalenceTable = [[{ resource: gvr('v1'), kind: gvk('v1') }, { resource: gvr('v2'), kind: gvk('v2') }]];
const V1_ONLY = [{ operations: ['CREATE'], apiGroups: ['stable.example.com'], apiVersions: ['v1'], resources: ['widgets'] }];

const widget = (version: string) => ({ apiVersion: `stable.example.com/${version}`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
const createV2: AdmissionAttributes = { operation: 'CREATE', resource: gvr('v2'), kind: gvk('v2'), namespace: 'default', object: widget('v2') };

test('Equivalent: the v2 request is sent as v1, and the patch comes back as v2', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules: V1_ONLY, matchPolicy: 'Equivalent' })])],
      script: (req) => patchWith(req, [{ op: 'replace', path: '/spec/size', value: 2 }]),
      equivalentResources: TABLE,
    },
    async ({ api, server }) => {
      const result = await api.admit(createV2);
      assert.ok(result.allowed, JSON.stringify(result));
      const request = server.requests[0]?.review.request;
      assert.equal(request?.kind, gvk('v1'));
      assert.equal(request?.resource, gvr('v1'));
      assert.equal(request?.requestKind, gvk('v2'));
      assert.equal(request?.requestResource, gvr('v2'));
      assert.equal(request?.object, { ...widget('v1'), metadata: { name: 'w', namespace: 'default' } });
      assert.equal(result.allowed ? result.object : undefined, {
        apiVersion: 'stable.example.com/v2',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'default' },
        spec: { size: 2 },
      });
    },
  );
});

test('Exact: nothing is sent for another version', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules: V1_ONLY, matchPolicy: 'Exact' })])], script: (req) => allow(req), equivalentResources: TABLE },
    async ({ api, server }) => {
      const result = await api.admit(createV2);
      assert.ok(result.allowed);
      assert.is(server.requests.length, 0);
    },
  );
});

test('Equivalent with no equivalents known (the default): nothing is sent', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules: V1_ONLY })])], script: (req) => allow(req) },
    async ({ api, server }) => {
      await api.admit(createV2);
      assert.is(server.requests.length, 0);
    },
  );
});

test('a literal match wins: kind equals requestKind', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules: V1_ONLY })])], script: (req) => allow(req), equivalentResources: TABLE },
    async ({ api, server }) => {
      await api.admit({ ...createV2, resource: gvr('v1'), kind: gvk('v1'), object: widget('v1') });
      const request = server.requests[0]?.review.request;
      assert.equal(request?.kind, gvk('v1'));
      assert.equal(request?.requestKind, gvk('v1'));
    },
  );
});

test.run();
