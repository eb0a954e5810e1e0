/**
 * What a real registry (registry-server.ts) was asked, read from its own
 * access log (combined log format: `"PUT /v2/a/b/manifests/1 HTTP/1.1" 201`).
 * This is the registry's word, not a proxy's: a request that went around a
 * proxy shows here too. A mark taken before an action and read after it
 * gives the requests the action caused.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { waitFor } from './processes.js';
import type { TestRegistry } from './registry-server.js';

export interface AccessLogEntry {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  /** `?...` or "". */
  readonly query: string;
  readonly status: number;
}

export interface AccessLogMark {
  readonly registry: TestRegistry;
  readonly text: string;
}

const ACCESS_LINE = /"([A-Z]+) ([^ "?]+)(\?[^ "]*)? HTTP\/[0-9.]+" (\d{3}) /;
const SYNC_QUERY = /^\?sync=[0-9a-f-]+$/;

export function markAccessLog(registry: TestRegistry): AccessLogMark {
  return { registry, text: registry.logs() };
}

/**
 * The access-log entries written since `mark`. Throws if the bounded log
 * buffer dropped the marked part (the answer would be incomplete).
 */
export function accessLogSince(mark: AccessLogMark): AccessLogEntry[] {
  const now = mark.registry.logs();
  if (!now.startsWith(mark.text)) throw new Error('registry log was trimmed since the mark; raise maxOutputBytes');
  return parseAccessLog(now.slice(mark.text.length));
}

/**
 * Waits until everything the registry answered so far is in its log: sends
 * `GET /v2/?sync=<uuid>` (401 without credentials is fine: it is logged
 * too) and waits for that line. Log lines are written in the order answers
 * complete, so a request answered before the sentinel shows before it.
 */
export async function syncAccessLog(registry: TestRegistry): Promise<void> {
  const token = randomUUID();
  const dispatcher = new Agent({ connect: registry.caPem === undefined ? {} : { ca: registry.caPem } });
  try {
    const res = await request(`${registry.url}/v2/?sync=${token}`, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 });
    await res.body.dump();
  } finally {
    await dispatcher.close();
  }
  await waitFor(() => registry.logs().includes(`sync=${token}`), 5_000, { what: 'the registry to log the sync request' });
}

export function parseAccessLog(text: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = ACCESS_LINE.exec(line);
    if (match === null) continue;
    const query = match[3] ?? '';
    // The sentinels of syncAccessLog are ours, not the system's under test.
    if (match[1] === 'GET' && match[2] === '/v2/' && SYNC_QUERY.test(query)) continue;
    entries.push({ method: match[1] ?? '', path: match[2] ?? '', query, status: Number(match[4]) });
  }
  return entries;
}
