/**
 * Reads rendered manifests (`kubectl kustomize manifests/` output, or any
 * multi-document YAML) for what the stand-in needs: the
 * MutatingWebhookConfigurations, parsed and validated as on create, and the
 * Namespaces' labels. YAML errors and invalid configurations throw with
 * every problem listed.
 */
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { MutatingWebhookConfiguration, ParseOptions } from './webhook-configuration.js';
import { MWC_API_VERSION, MWC_KIND, parseWebhookConfiguration } from './webhook-configuration.js';

const typeMetaSchema = z.looseObject({ apiVersion: z.string(), kind: z.string() });

const namespaceSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: z.looseObject({ name: z.string().min(1), labels: z.record(z.string(), z.string()).nullish() }),
});

export function readManifestDocuments(yamlText: string): unknown[] {
  const documents = parseAllDocuments(yamlText);
  const list = Array.isArray(documents) ? documents : [documents];
  const problems = list.flatMap((doc, i) => doc.errors.map((error) => `document ${i}: ${error.message}`));
  if (problems.length > 0) throw new Error(`reading manifests:\n  ${problems.join('\n  ')}`);
  return list.map((doc): unknown => doc.toJS()).filter((doc) => doc !== null && doc !== undefined);
}

export function readWebhookConfigurations(yamlText: string, options: ParseOptions = {}): MutatingWebhookConfiguration[] {
  return readManifestDocuments(yamlText)
    .filter((doc) => {
      const meta = typeMetaSchema.safeParse(doc);
      return meta.success && meta.data.apiVersion === MWC_API_VERSION && meta.data.kind === MWC_KIND;
    })
    .map((doc) => parseWebhookConfiguration(doc, options));
}

/** Namespace name -> labels, for the stand-in's `namespaces` option. */
export function readNamespaceLabels(yamlText: string): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const doc of readManifestDocuments(yamlText)) {
    const parsed = namespaceSchema.safeParse(doc);
    if (parsed.success) result[parsed.data.metadata.name] = { ...(parsed.data.metadata.labels ?? {}) };
  }
  return result;
}
