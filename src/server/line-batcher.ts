/**
 * Log lines gathered into one write every few milliseconds. Writing to a
 * pipe is synchronous on Linux (Node's process I/O notes), one system call
 * per line: at thousands of admissions a second, one line each, those calls
 * cost more than the admission itself. Lines are joined and written together
 * at most FLUSH_DELAY_MS after the first of them, in order; a large batch is
 * written at once so memory stays bounded. `flush()` writes what is pending
 * (serve calls it before it returns), so only a crash can lose lines, and
 * only those of the last few milliseconds.
 */
export interface LineBatcher {
  readonly write: (line: string) => void;
  flush(): void;
}

/**
 * Past this many pending characters the batch is written without waiting.
 * Small: a pipe (64 KiB on Linux) takes such a write without blocking the
 * event loop until its reader catches up (a p99 spike at 64 KiB batches).
 */
export const MAX_PENDING_CHARS = 16 * 1024;
/** How late a line may reach the log: short next to anything a reader of logs notices. */
export const FLUSH_DELAY_MS = 20;

export function createLineBatcher(
  write: (text: string) => void,
  // Unref'd: pending log lines alone do not keep a finished process alive (flush() is called at the end).
  schedule: (flush: () => void) => void = (flush) => void setTimeout(flush, FLUSH_DELAY_MS).unref(),
): LineBatcher {
  let pending: string[] = [];
  let pendingChars = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    try {
      write(text);
    } catch {
      // A closed stdout must not take the webhook down with it.
    }
  };
  return {
    write: (line) => {
      pending.push(line);
      pendingChars += line.length;
      if (pendingChars >= MAX_PENDING_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
