/**
 * Polls `check` until it returns something truthy, and returns that value. An error
 * thrown by `check` (a polling query while the database restarts) is retried, and thrown
 * only if it is still the answer when time runs out. The timeout is a safety net that
 * ends a hung test, never what a test asserts: it is generous on purpose.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 30_000, everyMs = 20, what = "the condition" } = {},
): Promise<Truthy<T>> {
  const start = Date.now();
  for (;;) {
    let failure: unknown;
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (error) {
      failure = error;
    }
    if (Date.now() - start > timeoutMs)
      throw failure ?? new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** What `until` returns: the value of `check` that ended the wait, never a falsy one. */
export type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;
