/** Turns an AbortSignal that has fired into the project's typed error. */
import { ClonerError } from '../core/errors.js';

export function checkNotAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) {
    throw new ClonerError('IC_ERR_ABORTED', `${what}: aborted`, { cause: signal.reason });
  }
}
