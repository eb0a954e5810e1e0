/**
 * The test suite's own notion of where each workload kind keeps its pod
 * spec, and its API group (Kubernetes API reference), written apart from
 * src/core/pod-specs.ts so that tests checking the webhook (e2e kinds, the
 * fuzzer's invariants) do not repeat a mistake made there.
 */
export const WORKLOAD_KIND_NAMES = [
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
] as const;

export type WorkloadKindName = (typeof WORKLOAD_KIND_NAMES)[number];

export const POD_SPEC_PATHS: Readonly<Record<WorkloadKindName, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** A kind of the same name in another group (a CRD) has no pod spec of ours. */
export const WORKLOAD_GROUPS: Readonly<Record<WorkloadKindName, string>> = {
  Pod: '',
  PodTemplate: '',
  ReplicationController: '',
  Deployment: 'apps',
  ReplicaSet: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
};
