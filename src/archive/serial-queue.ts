/**
 * Runs async tasks one at a time, in call order. A tar is written entry by
 * entry, so concurrent putBlob calls must take turns; a failed task does not
 * stop the ones queued after it (each decides for itself what a failure
 * before it means).
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
