/**
 * Step one of `rewrite` and `sync`: every object of every input presented
 * to the webhook's own classifier (classifyImages, via a CREATE request for
 * it), and the distinct copies those objects need (collectImages). What the
 * webhook would warn about (invalid references, objects whose shape is not
 * a pod spec) becomes a problem naming the file and the object.
 */
import { describeSlot, quoteShort } from '../core/admission-warnings.js';
import type { AdmissionRequest } from '../core/admission-review.js';
import type { Classification } from '../core/classify-images.js';
import type { CopyRequest } from '../core/image-decision.js';
import type { MutationPolicy } from '../core/mutation-policy.js';
import { toOfflineRequest } from '../core/offline-admission.js';
import { classifyImages, collectImages } from '../core/plan-mutation.js';
import { listObjects, parseManifest, type ManifestDocument } from './manifest-documents.js';
import type { ManifestInput } from './read-manifest-inputs.js';

export interface ScannedObject {
  readonly document: number;
  readonly tokens: readonly (string | number)[];
  readonly request: AdmissionRequest;
  readonly classification: Classification;
  /** `Deployment/web`, for reports. */
  readonly label: string;
}

export interface ScannedInput {
  readonly input: ManifestInput;
  readonly documents: readonly ManifestDocument[];
  readonly objects: readonly ScannedObject[];
}

export interface ManifestScan {
  readonly inputs: readonly ScannedInput[];
  /** Distinct copies, in order of first appearance. */
  readonly copies: readonly CopyRequest[];
  /** Invalid references and unreadable pod specs, one line each: left alone, reported. */
  readonly problems: readonly string[];
  /** Image slots found in pod-bearing objects. */
  readonly slotCount: number;
}

export function scanManifests(inputs: readonly ManifestInput[], policy: MutationPolicy): ManifestScan {
  const copies = new Map<string, CopyRequest>();
  const problems: string[] = [];
  let slotCount = 0;
  const scanned = inputs.map((input): ScannedInput => {
    const documents = parseManifest(input);
    const objects: ScannedObject[] = [];
    for (const { document, tokens, object } of listObjects(documents)) {
      const request = toOfflineRequest(object);
      if (request === undefined) continue;
      const classification = classifyImages(request, policy);
      const label = `${request.kind.kind}/${request.name ?? '(unnamed)'}`;
      const where = `${input.name}: ${label}`;
      if (classification.skipped === 'bad-shape') {
        for (const problem of classification.problems) problems.push(`${where}: ${problem}; images left unchanged`);
      }
      if (classification.skipped === undefined) {
        slotCount += classification.slots.length;
        for (const slot of classification.slots) {
          if (slot.status !== 'invalid') continue;
          const image = quoteShort(slot.slot.image, 100);
          problems.push(`${where}: ${describeSlot(slot.slot)}: image ${image} left unchanged: ${slot.reason}`);
        }
      }
      for (const copy of collectImages(request, policy, classification)) if (!copies.has(copy.key)) copies.set(copy.key, copy);
      objects.push({ document, tokens, request, classification, label });
    }
    return { input, documents, objects };
  });
  return { inputs: scanned, copies: [...copies.values()], problems, slotCount };
}
