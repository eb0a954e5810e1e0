/**
 * Least privilege in every install: no wildcard, no list/watch, no
 * cluster-wide Secret access except in the opt-in private-sources component;
 * self-managed certificates get exactly their one Secret and their one
 * MutatingWebhookConfiguration; cert-manager installs get no permission at
 * all; every binding is for our ServiceAccount and names a role that exists.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CERT_MANAGER_INSTALL, DEFAULT_INSTALL, INSTALLS, PRIVATE_SOURCES_INSTALL } from './installs.js';
import { NAMESPACE, at, list, ofKind, one, webhookConfig } from './render.js';
import type { KubeObject } from './render.js';

interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

const ROLE_KINDS = ['Role', 'ClusterRole'];
const BINDING_KINDS = ['RoleBinding', 'ClusterRoleBinding'];

function strings(value: unknown, what: string): string[] {
  return list(value, what).map((v) => {
    assert.type(v, 'string', what);
    return String(v);
  });
}

function rulesOf(role: KubeObject): Rule[] {
  return list(role['rules'], `${role.kind} ${role.metadata.name} rules`).map((rule) => {
    const names = at(rule, 'resourceNames');
    assert.is(at(rule, 'nonResourceURLs'), undefined);
    return {
      apiGroups: strings(at(rule, 'apiGroups'), 'apiGroups'),
      resources: strings(at(rule, 'resources'), 'resources'),
      verbs: strings(at(rule, 'verbs'), 'verbs'),
      ...(names === undefined ? {} : { resourceNames: strings(names, 'resourceNames') }),
    };
  });
}

/** Every role with its rules, keyed "Kind name". */
function roles(objects: readonly KubeObject[]): Map<string, { role: KubeObject; rules: Rule[] }> {
  const out = new Map<string, { role: KubeObject; rules: Rule[] }>();
  for (const role of objects.filter((o) => ROLE_KINDS.includes(o.kind))) {
    out.set(`${role.kind} ${role.metadata.name}`, { role, rules: rulesOf(role) });
  }
  return out;
}

const test = suite('manifests: RBAC');

for (const install of INSTALLS) {
  const objects = install.objects;

  test(`${install.name}: no wildcard, no list/watch, no escalation verbs`, () => {
    for (const [name, { role, rules }] of roles(objects())) {
      assert.is(role['aggregationRule'], undefined, name);
      for (const rule of rules) {
        for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs, ...(rule.resourceNames ?? [])]) {
          assert.not.ok(value.includes('*'), `${name}: ${value}`);
        }
        for (const verb of rule.verbs) {
          assert.ok(['get', 'create', 'update', 'patch'].includes(verb), `${name}: verb ${verb}`);
        }
      }
    }
  });

  test(`${install.name}: every binding gives our ServiceAccount a role that exists here`, () => {
    const defined = roles(objects());
    for (const binding of objects().filter((o) => BINDING_KINDS.includes(o.kind))) {
      assert.equal(at(binding, 'subjects'), [{ kind: 'ServiceAccount', name: 'image-cloner', namespace: NAMESPACE }]);
      const kind = String(at(binding, 'roleRef', 'kind'));
      assert.ok(defined.has(`${kind} ${String(at(binding, 'roleRef', 'name'))}`), `${binding.metadata.name} -> a rendered role`);
      if (binding.kind === 'RoleBinding') assert.is(kind, 'Role', 'a RoleBinding never lends a ClusterRole here');
    }
    // And every role is bound (an unbound role is dead weight, or a typo).
    const bound = new Set(
      objects()
        .filter((o) => BINDING_KINDS.includes(o.kind))
        .map((b) => `${String(at(b, 'roleRef', 'kind'))} ${String(at(b, 'roleRef', 'name'))}`),
    );
    for (const name of defined.keys()) assert.ok(bound.has(name), `${name} is bound`);
  });

  test(`${install.name}: Secret access cluster-wide only with private-sources, and then get only`, () => {
    for (const [name, { role, rules }] of roles(objects())) {
      if (role.kind !== 'ClusterRole') continue;
      for (const rule of rules.filter((r) => r.resources.includes('secrets'))) {
        assert.ok(install.privateSources, `${name} reads Secrets cluster-wide`);
        assert.equal(rule.verbs, ['get'], name);
      }
    }
  });

  test(`${install.name}: self-managed certificate permissions if and only if the webhook manages them`, () => {
    const all = [...roles(objects()).values()];
    const secretWriters = all.filter(({ rules }) =>
      rules.some((r) => r.resources.includes('secrets') && r.verbs.some((v) => v !== 'get')),
    );
    const webhookPatchers = all.filter(({ rules }) => rules.some((r) => r.resources.includes('mutatingwebhookconfigurations')));
    if (!install.selfManagedCerts) {
      assert.is(secretWriters.length, 0, 'no Secret write');
      assert.is(webhookPatchers.length, 0, 'no webhook configuration access');
      return;
    }
    assert.is(secretWriters.length, 1);
    assert.is(webhookPatchers.length, 1);
  });
}

test('manifests/: exactly the self-managed certificate rules: one Secret by name, create in its namespace, one MWC', () => {
  const objects = DEFAULT_INSTALL.objects();
  const all = roles(objects);
  assert.equal([...all.keys()].sort(), ['ClusterRole image-cloner-webhook-ca-bundle', 'Role image-cloner-certs']);

  const role = all.get('Role image-cloner-certs');
  assert.is(role?.role.metadata.namespace, NAMESPACE);
  assert.equal(role?.rules, [
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['image-cloner-certs'], verbs: ['get', 'update'] },
    // RBAC cannot restrict create by resourceNames; namespaced, so only here.
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  ]);
  // The certificate Secret is not the registry credentials one.
  const deployment = one(objects, 'Deployment', 'image-cloner');
  const credentials = list(at(deployment, 'spec', 'template', 'spec', 'volumes'), 'volumes')
    .map((v) => at(v, 'secret', 'secretName'))
    .filter((n) => n !== undefined);
  assert.ok(credentials.length > 0);
  assert.not.ok(credentials.includes('image-cloner-certs'));

  const mwc = one(objects, 'MutatingWebhookConfiguration');
  assert.equal(all.get('ClusterRole image-cloner-webhook-ca-bundle')?.rules, [
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['mutatingwebhookconfigurations'],
      resourceNames: [mwc.metadata.name],
      verbs: ['get', 'patch'],
    },
  ]);
  // The Secret create permission is the only name-less write, and it is namespaced.
  for (const { role: r, rules } of all.values()) {
    for (const rule of rules.filter((x) => x.resourceNames === undefined)) {
      assert.is(r.kind, 'Role', `name-less rule in ${r.kind} ${r.metadata.name}`);
      assert.equal(rule.verbs, ['create']);
    }
  }
});

test('cert-manager: no role, no binding at all', () => {
  const objects = CERT_MANAGER_INSTALL.objects();
  for (const kind of [...ROLE_KINDS, ...BINDING_KINDS]) assert.equal(ofKind(objects, kind), [], kind);
});

test('private-sources: get on Secrets and ServiceAccounts in every namespace, and the flag that turns the lookup on', () => {
  const objects = PRIVATE_SOURCES_INSTALL.objects();
  const clusterRole = roles(objects).get('ClusterRole image-cloner-pull-secrets');
  assert.equal(clusterRole?.rules, [{ apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['get'] }]);
  assert.is(one(objects, 'ClusterRoleBinding', 'image-cloner-pull-secrets').kind, 'ClusterRoleBinding');
  assert.is(webhookConfig(objects)['PULL_SECRETS_LOOKUP'], 'true');
  for (const install of INSTALLS) {
    assert.is('PULL_SECRETS_LOOKUP' in webhookConfig(install.objects()), install.privateSources, install.name);
  }
});

test.run();
