/**
 * JSON-lines logs: one object per line, `{time, level, msg, ...fields}`, a
 * constant `msg` and the data in fields (STYLE rule 11), so a log pipeline
 * can filter on them without parsing prose.
 *
 * Credentials never reach a line: any field whose name looks like one
 * (authorization, password, token, auth, secret...) is dropped, at any
 * depth, whatever its value. The guard is a backstop; callers pass no such
 * data in the first place.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  isEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Receives one complete line, newline included (process.stdout in production). */
  readonly write: (line: string) => void;
  readonly now?: () => number;
}

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_NAME = /authori[sz]ation|passw(or)?d|secret|token|auth|cookie|credential|private.?key/i;
/** Bounds the work (and the line) for a field that holds a deep or cyclic structure. */
const MAX_DEPTH = 6;
const MAX_STRING = 4096;

export function createLogger(options: LoggerOptions): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const now = options.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields: LogFields | undefined): void => {
    if (SEVERITY[level] < threshold) return;
    const record: Record<string, unknown> = { time: new Date(now()).toISOString(), level, msg };
    if (fields !== undefined) {
      for (const [key, value] of Object.entries(fields)) {
        if (key in record || SECRET_NAME.test(key)) continue;
        record[key] = sanitize(value, 0);
      }
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ time: record['time'], level, msg, logError: 'fields not serializable' });
    }
    try {
      options.write(`${line}\n`);
    } catch {
      // A closed stdout must not take the webhook down with it.
    }
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    isEnabled: (level) => SEVERITY[level] >= threshold,
  };
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  const ignore = (): void => {};
  return { debug: ignore, info: ignore, warn: ignore, error: ignore, isEnabled: () => false };
}

/** An error as log fields: its message, code and name (a stack only at debug level, by the caller). */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? { code: error.code } : {};
    return { error: error.message, errorName: error.name, ...code };
  }
  return { error: String(error) };
}

function sanitize(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...` : value;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) return sanitize(errorFields(value), depth + 1);
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => sanitize(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!SECRET_NAME.test(key)) out[key] = sanitize(item, depth + 1);
  }
  return out;
}
