/**
 * A shared resource for a suite (a registry, a PKI) started on first use.
 *
 * Why not start it in uvu's `before` hook: in uvu 0.5 the runner returns from
 * a `finally` block, which swallows an error thrown by `before`; the suite
 * then reports nothing and exits 0. Starting on first `get()` makes a failed
 * start fail (and explain) every test that needs it. Call `dispose()` from
 * `after`: it stops the resource only if it was started.
 */
export interface Fixture<T> {
  get(): Promise<T>;
  dispose(): Promise<void>;
}

export function lazyFixture<T>(start: () => Promise<T>, stop: (value: T) => Promise<void>): Fixture<T> {
  let started: Promise<T> | undefined;
  return {
    get: () => (started ??= start()),
    dispose: async () => {
      const pending = started;
      started = undefined;
      if (pending === undefined) return;
      let value: T;
      try {
        value = await pending;
      } catch {
        return; // it never started, so there is nothing to stop
      }
      await stop(value);
    },
  };
}
