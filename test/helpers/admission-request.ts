/**
 * AdmissionReviews as the API server sends them (CLUSTER-NOTES 1.7): a fresh
 * uid for every call, kind/resource/requestKind/requestResource with the
 * real plural resource names, `name` empty for a generateName CREATE,
 * oldObject null on CREATE, `dryRun` always present, and the matching
 * Create/UpdateOptions. Written apart from test/core/k8s-fixtures.ts
 * `reviewFor`, whose uid and name are fixed.
 */
import { randomUUID } from 'node:crypto';
import { groupVersionKind, isRecord } from '../core/k8s-fixtures.js';

/** The resource (plural, lowercase) of each kind the webhook handles (API reference). */
const RESOURCES: Readonly<Record<string, string>> = {
  Pod: 'pods',
  PodTemplate: 'podtemplates',
  ReplicationController: 'replicationcontrollers',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
};

export interface AdmissionRequestOptions {
  readonly operation?: 'CREATE' | 'UPDATE';
  /** The stored object on UPDATE. */
  readonly oldObject?: unknown;
  readonly subResource?: string;
  readonly dryRun?: boolean;
  /** When the object's metadata has none. */
  readonly namespace?: string;
  readonly username?: string;
}

export interface BuiltReview {
  readonly uid: string;
  readonly review: Record<string, unknown>;
}

export function buildAdmissionReview(object: unknown, options: AdmissionRequestOptions = {}): BuiltReview {
  const gvk = groupVersionKind(object);
  const resourceName = RESOURCES[gvk.kind];
  if (resourceName === undefined) throw new Error(`buildAdmissionReview: no resource known for kind ${gvk.kind}`);
  const operation = options.operation ?? 'CREATE';
  if (operation === 'UPDATE' && options.oldObject === undefined) throw new Error('buildAdmissionReview: UPDATE needs oldObject');
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  // A CREATE with generateName has no name yet: the API server sends "".
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : (options.namespace ?? 'default');
  const resource = { group: gvk.group, version: gvk.version, resource: resourceName };
  const uid = randomUUID();
  const subResource = options.subResource === undefined ? {} : { subResource: options.subResource, requestSubResource: options.subResource };
  return {
    uid,
    review: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: gvk,
        resource,
        ...subResource,
        requestKind: gvk,
        requestResource: resource,
        name,
        namespace,
        operation,
        userInfo: {
          username: options.username ?? 'kubernetes-admin',
          groups: ['system:masters', 'system:authenticated'],
        },
        object,
        oldObject: operation === 'UPDATE' ? options.oldObject : null,
        dryRun: options.dryRun ?? false,
        options:
          operation === 'CREATE'
            ? { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', fieldManager: 'kubectl-client-side-apply' }
            : { apiVersion: 'meta.k8s.io/v1', kind: 'UpdateOptions', fieldManager: 'kubectl-client-side-apply' },
      },
    },
  };
}
