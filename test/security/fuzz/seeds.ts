/**
 * The fuzzer's seeds: every AdmissionReview the shared fixtures give (the
 * kubernetes/api round-trip objects, every workload of the real manifests,
 * the pepr captures, the docs' scale request and the kubernetes/api
 * AdmissionReview), each as CREATE and, for workloads, as UPDATE too.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  fixturePath,
  listFixtures,
  readJsonFixture,
  readYamlFixture,
  reviewFor,
  wrapRequest,
} from '../../core/k8s-fixtures.js';
import { POD_SPEC_PATHS, isRecord } from './pod-spec-paths.js';

export function loadSeeds(): unknown[] {
  const objects: unknown[] = listFixtures('kubernetes-api', '.json')
    .filter((file) => !file.includes('AdmissionReview'))
    .map(readJsonFixture);
  for (const file of listFixtures('manifests', '.yaml')) {
    for (const object of readYamlFixture(file)) {
      if (isRecord(object) && typeof object['kind'] === 'string' && POD_SPEC_PATHS[object['kind']] !== undefined) objects.push(object);
    }
  }
  const seeds: unknown[] = [];
  for (const object of objects) {
    seeds.push(reviewFor(object));
    seeds.push(reviewFor(object, { operation: 'UPDATE', oldObject: object }));
  }
  for (const name of ['create-deployment', 'create-pod', 'delete-pod']) {
    seeds.push(wrapRequest(readJsonFixture(`admission/pepr-admission-${name}.json`)));
  }
  seeds.push(parseYaml(readFileSync(fixturePath('admission/v1-request-update-deployment-scale.yaml'), 'utf8')));
  seeds.push(readJsonFixture('kubernetes-api/admission.k8s.io.v1.AdmissionReview.json'));
  return seeds;
}
