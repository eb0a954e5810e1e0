/**
 * CLUSTER-NOTES 1.12 items 10 and 12: the wire form of a call (POST
 * https://<svc>.<ns>.svc:<port|443><path|/>?timeout=<ceil>s, JSON content
 * type, client-go headers, HTTP/1.1 over ALPN http/1.1, SNI the service
 * name) and the AdmissionReview request (fresh uid per call, name "" for
 * generateName, the null rules for object/oldObject/options, dryRun always
 * present).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow } from './helpers/fake-webhook.js';
import type { ReceivedRequest } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, SERVICE_HOST, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('request shape');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function only(requests: readonly ReceivedRequest[]): ReceivedRequest {
  assert.is(requests.length, 1, 'exactly one call');
  const [first] = requests;
  if (first === undefined) throw new Error('no request');
  return first;
}

test('wire: method, path and timeout query, headers, HTTP/1.1, ALPN, SNI', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => allow(req) }, async ({ api, server }) => {
    const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
    assert.ok(result.allowed);
    const req = only(server.requests);
    assert.is(req.method, 'POST');
    assert.is(req.url, '/a?timeout=10s');
    assert.is(req.httpVersion, '1.1');
    assert.is(req.alpnProtocol, 'http/1.1');
    assert.is(req.servername, SERVICE_HOST);
    assert.is(req.headers['content-type'], 'application/json');
    assert.is(req.headers.accept, 'application/json, */*');
    assert.is(req.headers['user-agent'], 'kube-apiserver-admission');
    assert.is(req.headers.host, `${SERVICE_HOST}:443`);
    assert.is(result.calls[0]?.url, `https://${SERVICE_HOST}:443/a?timeout=10s`);
  });
});

test('service port and path default to 443 and "/"; timeoutSeconds sets the query', async () => {
  const dialled: string[] = [];
  await withHarness(
    {
      configs: (ca) => [
        makeConfig('c', [
          webhookDoc('a', ca, { clientConfig: { service: { namespace: 'webhooks', name: 'hook' }, caBundle: ca }, timeoutSeconds: 7 }),
          webhookDoc('b', ca, { clientConfig: { service: { namespace: 'webhooks', name: 'hook', port: 8443, path: '/b' }, caBundle: ca } }),
        ]),
      ],
      script: (req) => allow(req),
      resolveService: (server) => (namespace, name, port) => {
        dialled.push(`${namespace}/${name}:${port}`);
        return { host: '127.0.0.1', port: server.port };
      },
    },
    async ({ api, server }) => {
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.ok(result.allowed, JSON.stringify(result));
      assert.equal(dialled, ['webhooks/hook:443', 'webhooks/hook:8443']);
      assert.equal(server.requests.map((r) => [r.url, r.headers.host]), [
        ['/?timeout=7s', `${SERVICE_HOST}:443`],
        ['/b?timeout=10s', `${SERVICE_HOST}:8443`],
      ]);
      // Go prints the URL with the path as configured: none at all for the first.
      assert.equal(result.calls.map((c) => c.url), [`https://${SERVICE_HOST}:443?timeout=7s`, `https://${SERVICE_HOST}:8443/b?timeout=10s`]);
    },
  );
});

test('the timeout query is the time left under the request deadline, rounded up', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => allow(req), requestTimeoutSeconds: 2.5 },
    async ({ api, server }) => {
      await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.is(only(server.requests).url, '/a?timeout=3s');
    },
  );
});

test('clientConfig.url: its host is the TLS name, port 443 by default', async () => {
  const seen: string[] = [];
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, { clientConfig: { url: `https://${SERVICE_HOST}/u`, caBundle: ca } })])],
      script: (req) => allow(req),
      resolveService: () => () => {
        throw new Error('no Service in this test');
      },
      resolveUrlHost: (server) => (host, port) => {
        seen.push(`${host}:${port}`);
        return { host: '127.0.0.1', port: server.port };
      },
    },
    async ({ api, server }) => {
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.ok(result.allowed, JSON.stringify(result));
      assert.equal(seen, [`${SERVICE_HOST}:443`]);
      assert.is(only(server.requests).url, '/u?timeout=10s');
      assert.is(server.requests[0]?.servername, SERVICE_HOST);
      assert.is(result.calls[0]?.url, `https://${SERVICE_HOST}/u?timeout=10s`);
    },
  );
});

test('CREATE review: identity fields, object, oldObject null, dryRun false, CreateOptions', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => allow(req) }, async ({ api, server }) => {
    await api.admit({
      operation: 'CREATE',
      resource: PODS,
      kind: POD_KIND,
      namespace: 'default',
      object: pod('p'),
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u-1', groups: ['system:serviceaccounts'] },
    });
    const review = only(server.requests).review;
    assert.is(review.apiVersion, 'admission.k8s.io/v1');
    assert.is(review.kind, 'AdmissionReview');
    const request = review.request;
    assert.match(request.uid, UUID);
    assert.equal(request.kind, POD_KIND);
    assert.equal(request.resource, PODS);
    assert.equal(request.requestKind, POD_KIND);
    assert.equal(request.requestResource, PODS);
    assert.not.ok('subResource' in request, 'omitempty: no subresource');
    assert.is(request.name, 'p');
    assert.is(request.namespace, 'default');
    assert.is(request.operation, 'CREATE');
    assert.equal(request.userInfo, { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u-1', groups: ['system:serviceaccounts'] });
    assert.equal(request.object, { ...pod('p'), metadata: { name: 'p', namespace: 'default' } }, 'metadata.namespace is set from the request');
    assert.is(request.oldObject, null);
    assert.is(request.dryRun, false);
    assert.equal(request.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' });
  });
});

test('generateName: name is empty (omitted, as Go omits an empty name)', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => allow(req) }, async ({ api, server }) => {
    await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('', { generateName: 'web-7d9f-' }) });
    const request = only(server.requests).review.request;
    assert.is(request.name ?? '', '');
    assert.not.ok('name' in request);
  });
});

test('UPDATE, DELETE, CONNECT: the null rules and the options kind', async () => {
  await withHarness(
    {
      configs: (ca) => [
        makeConfig('c', [webhookDoc('a', ca, { rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'pods/exec'] }] })]),
      ],
      script: (req) => allow(req),
    },
    async ({ api, server }) => {
      const old = { ...pod('p'), metadata: { name: 'p', namespace: 'default', uid: 'x-1' } };
      await api.admit({ operation: 'UPDATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p', { labels: { v: '2' } }), oldObject: old });
      await api.admit({ operation: 'DELETE', resource: PODS, kind: POD_KIND, namespace: 'default', name: 'p', oldObject: old });
      const execOptions = { kind: 'PodExecOptions', apiVersion: 'v1', command: ['sh'] };
      await api.admit({
        operation: 'CONNECT',
        resource: { ...PODS, subResource: 'exec' },
        kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
        namespace: 'default',
        name: 'p',
        object: execOptions,
      });
      const [update, del, connect] = server.requests.map((r) => r.review.request);
      assert.equal(update?.oldObject, old);
      assert.equal(update?.object, { ...pod('p'), metadata: { name: 'p', labels: { v: '2' }, namespace: 'default' } });
      assert.equal(update?.options, { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' });
      assert.is(del?.object, null);
      assert.equal(del?.oldObject, old);
      assert.is(del?.name, 'p');
      assert.equal(del?.options, { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' });
      assert.equal(connect?.object, execOptions);
      assert.is(connect?.oldObject, null);
      assert.is(connect?.options, null);
      assert.is(connect?.subResource, 'exec');
      assert.is(connect?.requestSubResource, 'exec');
    },
  );
});

test('a new uid for every call, and dryRun carried into the review and options', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca), webhookDoc('b', ca)])], script: (req) => allow(req) },
    async ({ api, server }) => {
      await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p'), dryRun: true });
      const uids = server.requests.map((r) => r.review.request.uid);
      assert.is(uids.length, 4);
      assert.is(new Set(uids).size, 4, 'four calls, four uids');
      const last = server.requests[3]?.review.request;
      assert.is(last?.dryRun, true);
      assert.equal(last?.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'] });
    },
  );
});

test('subresource requests carry subResource and requestSubResource', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, { rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/ephemeralcontainers'] }] })])], script: (req) => allow(req) },
    async ({ api, server }) => {
      const object = pod('p');
      await api.admit({ operation: 'UPDATE', resource: { ...PODS, subResource: 'ephemeralcontainers' }, kind: POD_KIND, namespace: 'default', object, oldObject: object });
      const request = only(server.requests).review.request;
      assert.is(request.subResource, 'ephemeralcontainers');
      assert.is(request.requestSubResource, 'ephemeralcontainers');
      assert.equal(request.kind, POD_KIND);
    },
  );
});

test('a write body over 3 MiB is refused before admission (413)', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => allow(req) }, async ({ api, server }) => {
    const big = { ...pod('p'), metadata: { name: 'p', annotations: { blob: 'x'.repeat(3 * 1024 * 1024) } } };
    const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: big });
    assert.not.ok(result.allowed);
    if (!result.allowed) assert.is(result.status.code, 413);
    assert.is(server.requests.length, 0);
    const fits = { ...pod('p'), metadata: { name: 'p', annotations: { blob: 'x'.repeat(3 * 1024 * 1024 - 1000) } } };
    assert.ok((await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: fits })).allowed);
    assert.is(server.requests.length, 1);
  });
});

test.run();
