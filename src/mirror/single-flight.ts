/**
 * Single-flight: callers asking for the same key while its task runs share
 * that one task (DESIGN: "Concurrent admissions of the same image share one
 * copy"). The entry goes as soon as the task settles; remembering results
 * is the ResultCache's job.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Promise<T>>();

  /** Tasks running or waiting now. */
  get size(): number {
    return this.#flights.size;
  }

  get(key: string): Promise<T> | undefined {
    return this.#flights.get(key);
  }

  /** Joins the task for `key`, or starts one with `start`. */
  run(key: string, start: () => Promise<T>): Promise<T> {
    const existing = this.#flights.get(key);
    if (existing !== undefined) return existing;
    const flight = start();
    this.#flights.set(key, flight);
    const forget = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    flight.then(forget, forget);
    return flight;
  }

  /** Resolves when every task that exists now has settled (never rejects). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#flights.values());
  }
}
