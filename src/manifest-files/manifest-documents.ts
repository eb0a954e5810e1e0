/**
 * The documents of one manifest input and the Kubernetes objects in them:
 * a YAML stream (`---` separated, as kustomize and helm print it), JSON
 * (which is YAML), and `kind: List` / `<Kind>List` objects (what `kubectl
 * get -o yaml` prints), whose `items` are objects of their own.
 *
 * The yaml library keeps every node's source range, which is what lets the
 * editor change only the bytes of changed values (text-edits.ts).
 */
import { parseAllDocuments, type Document } from 'yaml';
import { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import type { ManifestInput } from './read-manifest-inputs.js';

export interface ManifestDocument {
  readonly document: Document.Parsed;
  /** The document as plain data (aliases resolved). */
  readonly value: unknown;
}

export interface ManifestObject {
  /** Index of its document in the input. */
  readonly document: number;
  /** Where the object sits in its document: [] or ['items', i, ...]. */
  readonly tokens: readonly (string | number)[];
  readonly object: unknown;
}

const listSchema = z.looseObject({ kind: z.string().endsWith('List'), items: z.array(z.unknown()) });

export function parseManifest(input: ManifestInput): ManifestDocument[] {
  const parsed = parseAllDocuments(input.text);
  // An input with no document at all (empty, or only comments).
  if (!Array.isArray(parsed)) return [];
  return parsed.map((document, index) => {
    const error = document.errors[0];
    if (error !== undefined) {
      const message = error.message.split('\n')[0] ?? error.code;
      throw new ClonerError('IC_ERR_BAD_INPUT', `${input.name}: document ${index + 1} is not valid YAML: ${message}`, {
        cause: error,
      });
    }
    return { document, value: toPlain(document, input.name, index) };
  });
}

function toPlain(document: Document.Parsed, name: string, index: number): unknown {
  try {
    return document.toJS();
  } catch (error) {
    // Too many alias expansions (the library's guard against "billion laughs").
    const message = error instanceof Error ? error.message : String(error);
    throw new ClonerError('IC_ERR_BAD_INPUT', `${name}: document ${index + 1}: ${message}`, { cause: error });
  }
}

/** Every object of the documents, list items in place of their lists, in document order. */
export function listObjects(documents: readonly ManifestDocument[]): ManifestObject[] {
  const objects: ManifestObject[] = [];
  const visit = (document: number, value: unknown, tokens: readonly (string | number)[]): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const list = listSchema.safeParse(value);
    if (list.success) list.data.items.forEach((item, i) => visit(document, item, [...tokens, 'items', i]));
    else objects.push({ document, tokens, object: value });
  };
  documents.forEach((doc, index) => visit(index, doc.value, []));
  return objects;
}
