/** The suite's own table of pod spec paths and groups (test/helpers/pod-spec-paths.ts), as the fuzzer reads them. */
import { POD_SPEC_PATHS as PATHS, WORKLOAD_GROUPS as GROUPS } from '../../helpers/pod-spec-paths.js';

export const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = PATHS;
export const WORKLOAD_GROUPS: Readonly<Record<string, string>> = GROUPS;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
