/**
 * The API server's warning recorder (apiserver pkg/endpoints/filters/
 * warning.go; CLUSTER-NOTES 1.8): webhook warnings become `Warning: 299 -
 * "text"` headers, deduplicated by text. While the texts total at most 4096
 * runes they pass whole; the warning that would overflow switches to
 * truncation: every warning so far is replayed cut to 256 runes, later ones
 * are cut too, and once 4096 runes are written the rest are dropped. Texts
 * with control characters are refused (net.NewWarningHeader).
 */

export const TOTAL_RUNES = 4 * 1024;
export const ITEM_RUNES = 256;

export interface WarningRecorder {
  add(text: string): void;
  /** Texts as the client receives them. */
  texts(): string[];
  /** Header values as the client receives them. */
  headers(): string[];
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function runes(text: string): string[] {
  return Array.from(text);
}

function cut(text: string): string {
  const chars = runes(text);
  return chars.length > ITEM_RUNES ? chars.slice(0, ITEM_RUNES).join('') : text;
}

export function formatWarningHeader(text: string): string {
  return `299 - "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function createWarningRecorder(): WarningRecorder {
  const recorded = new Set<string>();
  const ordered: string[] = [];
  let written: string[] = [];
  let writtenRunes = 0;
  let truncating = false;

  const add = (raw: string): void => {
    if (raw === '') return;
    if (truncating && writtenRunes >= TOTAL_RUNES) return;
    if (recorded.has(raw)) return;
    recorded.add(raw);
    ordered.push(raw);
    const text = truncating ? cut(raw) : raw;
    if (CONTROL.test(text)) return;
    const length = runes(text).length;
    if (writtenRunes + length <= TOTAL_RUNES || truncating) {
      writtenRunes += length;
      written.push(text);
      return;
    }
    truncating = true;
    writtenRunes = 0;
    written = [];
    for (const earlier of ordered) {
      const shortened = cut(earlier);
      if (CONTROL.test(shortened)) continue;
      writtenRunes += runes(shortened).length;
      written.push(shortened);
    }
  };

  return {
    add,
    texts: () => [...written],
    headers: () => written.map(formatWarningHeader),
  };
}
