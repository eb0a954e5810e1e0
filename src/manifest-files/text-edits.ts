/**
 * The planner's JSON Patch ops (RFC 6902) carried out on the source text of
 * a YAML or JSON document, so that every byte the ops do not change stays
 * as it was: comments, key order, quoting, indentation, blank lines, a
 * missing final newline. Re-serializing the document (Document#toString)
 * would normalize all of that, which is the drift GitOps users see.
 *
 * A replaced scalar keeps its quoting style (and its anchor, which sits
 * outside the value's range); an added member goes after the last one of
 * its mapping or sequence, in block style at the members' indentation, or
 * in JSON syntax inside a flow collection (so JSON input stays JSON).
 */
import { isAlias, isMap, isNode, isScalar, isSeq, stringify, type Document, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { ClonerError } from '../core/errors.js';
import { parsePointer } from '../core/json-patch.js';
import type { JsonValue, PatchOp } from '../core/json-patch.js';

export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;

export function planTextEdits(document: Document.Parsed, source: string, ops: readonly PatchOp[]): TextEdit[] {
  return ops.map((op) => planEdit(document, source, op));
}

/** Applies non-overlapping edits; two inserts at one offset keep the order of their ops. */
export function applyTextEdits(source: string, edits: readonly TextEdit[]): string {
  const ordered = edits.map((edit, index) => ({ edit, index })).sort((a, b) => b.edit.start - a.edit.start || b.index - a.index);
  let text = source;
  for (const { edit } of ordered) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  return text;
}

function planEdit(document: Document.Parsed, source: string, op: PatchOp): TextEdit {
  const tokens = parsePointer(op.path);
  const last = tokens?.at(-1);
  if (tokens === undefined || last === undefined || op.op === 'test') return unsupported(op, 'not an add or replace below the root');
  let parent: unknown = document.contents;
  for (const token of tokens.slice(0, -1)) parent = child(parent, token);
  if (!isMap(parent) && !isSeq(parent)) return unsupported(op, 'its parent is not a mapping or sequence');
  if (isSeq(parent) && last === '-' && op.op === 'add') return appendItem(source, parent, op.value);
  const target = child(parent, last);
  if (target !== undefined) return replaceNode(source, target, op.value, op);
  if (isMap(parent) && op.op === 'add') return addMember(source, parent, last, op.value);
  return unsupported(op, 'the member is absent');
}

function child(node: unknown, token: string): unknown {
  if (isMap(node)) {
    const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : item.key) === token);
    return pair === undefined ? undefined : (pair.value ?? null);
  }
  if (isSeq(node) && /^(0|[1-9]\d*)$/.test(token)) return node.items[Number(token)];
  return undefined;
}

function replaceNode(source: string, node: unknown, value: JsonValue, op: PatchOp): TextEdit {
  // An alias is replaced by the value itself: its anchor may serve fields that must not change.
  if (!isScalar(node) && !isAlias(node)) return unsupported(op, 'the value replaced is a collection');
  const range = node.range;
  if (range === undefined || range === null) return unsupported(op, 'the node has no source range');
  const [start, end] = range;
  let text = typeof value !== 'string' ? formatFlow(value) : isScalar(node) ? formatScalar(value, node) : plainOrQuoted(value);
  // `key:` with nothing after it: a null whose (empty) range sits right after the colon.
  if (start === end) text = ` ${text}`;
  // A block scalar's range takes its line break with it.
  else if (source[end - 1] === '\n') text = `${text}\n`;
  return { start, end, text };
}

/** The new value in the old one's quoting style. */
function formatScalar(value: string, node: Scalar): string {
  switch (node.type) {
    case 'QUOTE_DOUBLE':
      // A JSON string is a YAML double-quoted scalar (YAML 1.2 section 7.3.1 escapes include JSON's).
      return JSON.stringify(value);
    case 'QUOTE_SINGLE':
      return `'${value.replaceAll("'", "''")}'`;
    default:
      // Plain when plain is safe, quoted otherwise; a block scalar becomes a flow one.
      return node.type === 'PLAIN' ? plainOrQuoted(value) : JSON.stringify(value);
  }
}

function plainOrQuoted(value: string): string {
  return stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
}

/** JSON: valid in any YAML flow or block context, and what JSON input must keep. */
function formatFlow(value: JsonValue, indent = ''): string {
  return JSON.stringify(value, null, indent === '' ? undefined : 2)?.replaceAll('\n', `\n${indent}`) ?? 'null';
}

function addMember(source: string, map: YAMLMap<unknown, unknown>, key: string, value: JsonValue): TextEdit {
  if (map.flow === true) return insertInFlow(source, map, key, value);
  const rendered = stringify({ [key]: value }, { lineWidth: 0 });
  return insertInBlock(source, map, rendered);
}

function appendItem(source: string, seq: YAMLSeq<unknown>, value: JsonValue): TextEdit {
  if (seq.flow === true) return insertInFlow(source, seq, undefined, value);
  return insertInBlock(source, seq, stringify([value], { lineWidth: 0 }));
}

/** After the last member's line, at the first member's column; `rendered` ends with a line break. */
function insertInBlock(source: string, collection: Collection, rendered: string): TextEdit {
  const first = memberStart(collection, 0);
  const end = memberEnd(collection);
  if (first === undefined || end === undefined) return unsupportedInsert('an empty block collection');
  // A sequence's range starts at its first "-"; a mapping's first member starts at its first key.
  const seqStart = isSeq(collection) ? rangeOf(collection)?.[0] : undefined;
  const column = columnOf(source, seqStart ?? first);
  const indent = ' '.repeat(column);
  const lines = rendered.replace(/\n$/, '').split('\n').map((line) => indent + line);
  if (source[end - 1] === '\n') return { start: end, end, text: `${lines.join('\n')}\n` };
  const lineEnd = source.indexOf('\n', end);
  const at = lineEnd === -1 ? source.length : lineEnd;
  return { start: at, end: at, text: `\n${lines.join('\n')}` };
}

/** Before the closing bracket, as `, member` (or on a line of its own when the collection spans lines). */
function insertInFlow(source: string, collection: Collection, key: string | undefined, value: JsonValue): TextEdit {
  const range = collection.range;
  if (range === undefined || range === null) return unsupportedInsert('a flow collection without source range');
  const first = memberStart(collection, 0);
  const end = memberEnd(collection);
  // The key as JSON, followed by `:` spaced as this mapping spaces it.
  const keyText = key === undefined ? '' : `${JSON.stringify(key)}${sameLine(source, firstPairColon(collection), ': ')}`;
  if (first === undefined || end === undefined) {
    return { start: range[0] + 1, end: range[0] + 1, text: `${keyText}${formatFlow(value)}` };
  }
  const multiline = source.slice(range[0], first).includes('\n');
  if (!multiline) return { start: end, end, text: `${compactSeparator(source, collection)}${keyText}${formatFlow(value)}` };
  const indent = ' '.repeat(columnOf(source, first));
  return { start: end, end, text: `,\n${indent}${keyText}${formatFlow(value, indent)}` };
}

/** The separator between the last two members as written (`,` in minified JSON, `, ` by hand). */
function compactSeparator(source: string, collection: Collection): string {
  const count = collection.items.length;
  const previousEnd = count >= 2 ? memberEndAt(collection, count - 2) : undefined;
  const lastStart = memberStart(collection, count - 1);
  // With one member, spaced like its colon: minified JSON has neither space.
  const fallback = sameLine(source, firstPairColon(collection), ': ') === ':' ? ',' : ', ';
  if (previousEnd === undefined || lastStart === undefined) return fallback;
  return sameLine(source, [previousEnd, lastStart], fallback);
}

/** The source between `span`'s ends when it is only a separator on one line, else `fallback`. */
function sameLine(source: string, span: readonly [number, number] | undefined, fallback: string): string {
  if (span === undefined) return fallback;
  const text = source.slice(span[0], span[1]);
  return /^[ \t]*[,:][ \t]*$/.test(text) ? text : fallback;
}

/** From the end of the first key to the start of its value: how this mapping writes `: `. */
function firstPairColon(collection: Collection): readonly [number, number] | undefined {
  if (!isMap(collection)) return undefined;
  const pair = collection.items[0];
  const keyEnd = rangeOf(pair?.key)?.[1];
  const valueStart = rangeOf(pair?.value)?.[0];
  return keyEnd === undefined || valueStart === undefined ? undefined : [keyEnd, valueStart];
}

function memberStart(collection: Collection, index: number): number | undefined {
  if (isMap(collection)) return rangeOf(collection.items[index]?.key)?.[0];
  return rangeOf(collection.items[index])?.[0];
}

/** The end of the last member's value (for a mapping, its key when the value is empty). */
function memberEnd(collection: Collection): number | undefined {
  return memberEndAt(collection, collection.items.length - 1);
}

function memberEndAt(collection: Collection, index: number): number | undefined {
  if (!isMap(collection)) return rangeOf(collection.items[index])?.[1];
  const pair = collection.items[index];
  return (rangeOf(pair?.value) ?? rangeOf(pair?.key))?.[1];
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  return isNode(node) ? (node.range ?? undefined) : undefined;
}

function columnOf(source: string, offset: number): number {
  return offset - (source.lastIndexOf('\n', offset - 1) + 1);
}

function unsupported(op: PatchOp, why: string): never {
  throw new ClonerError('IC_ERR_BAD_INPUT', `cannot apply ${op.op} ${op.path} in place: ${why}`);
}

function unsupportedInsert(why: string): never {
  throw new ClonerError('IC_ERR_BAD_INPUT', `cannot add a member to ${why}`);
}
