/** Waiting with a bound (STYLE rule 8): for a promise, at most `ms` milliseconds. */

/** True when `promise` settled in time; false when the time ran out first. Never rejects. */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms <= 0) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
