// Helpers shared by the PromisePool suites.

/** A promise with its resolver, to finish a task exactly when the test says so. */
export function gate<T = void>() {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((r, j) => {
    open = r;
    fail = j;
  });
  return { promise, open, fail };
}

/** Counts tasks in flight and remembers the most seen at once. */
export function meter() {
  const m = { now: 0, max: 0, started: [] as number[] };
  const wrap =
    <T>(id: number, body: () => Promise<T>) =>
    async () => {
      m.started.push(id);
      m.max = Math.max(m.max, ++m.now);
      try {
        return await body();
      } finally {
        m.now--;
      }
    };
  return { m, wrap };
}

/** The rejection reason of `p` (fails the test if it fulfils). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${String(v)}`);
    },
    (e) => e,
  );
}
