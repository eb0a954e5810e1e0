/**
 * components/network-policy (opt-in): renders over the default install, picks
 * exactly the webhook's Pods, opens only their HTTPS port, from everywhere
 * except the Pod network (Kind's by default), and leaves egress alone.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLabelSelector, selectorMatches } from './label-selector.js';
import { NAMESPACE, at, list, ofKind, one, podLabels, renderComposition, webhookContainer } from './render.js';

const objects = renderComposition({ resources: ['base'], components: ['components/self-managed-certs', 'components/network-policy'] });
const test = suite('manifests: components/network-policy');

test('one NetworkPolicy in the webhook namespace, selecting the webhook Pods', () => {
  const policies = ofKind(objects, 'NetworkPolicy');
  assert.is(policies.length, 1);
  const policy = one(objects, 'NetworkPolicy', 'image-cloner-ingress');
  assert.is(policy.metadata.namespace, NAMESPACE);
  const selector = parseLabelSelector(at(policy, 'spec', 'podSelector'));
  assert.ok(selectorMatches(selector, podLabels(one(objects, 'Deployment', 'image-cloner'))));
  assert.equal(at(policy, 'spec', 'policyTypes'), ['Ingress'], 'egress stays open: registries are anywhere');
});

test('ingress: the HTTPS port only, from anything but the Pod network', () => {
  const policy = one(objects, 'NetworkPolicy', 'image-cloner-ingress');
  const ingress = list(at(policy, 'spec', 'ingress'), 'ingress');
  assert.equal(ingress, [
    {
      from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16'] } }],
      ports: [{ port: 'https', protocol: 'TCP' }],
    },
  ]);
  // The named port is the one the container serves on.
  const ports = list(webhookContainer(one(objects, 'Deployment', 'image-cloner'))['ports'], 'ports');
  assert.ok(ports.some((p) => at(p, 'name') === 'https'));
});

test('without the component, no NetworkPolicy (the Pod CIDR is cluster-specific)', () => {
  const plain = renderComposition({ resources: ['base'], components: ['components/self-managed-certs'] });
  assert.equal(ofKind(plain, 'NetworkPolicy'), []);
});

test.run();
