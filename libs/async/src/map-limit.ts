/**
 * Runs `task` over `items` with at most `limit` calls in flight and resolves
 * with the results in input order. Items start in input order.
 *
 * On the first failure no further item starts; the call rejects with that
 * error once the calls already in flight have settled, so no work outlives it.
 *
 *   await mapLimit(hosts, 8, (host) => trust(host))  // 8 handshakes at a time
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.floor(limit), items.length) }, lane));
  if (failure !== undefined) throw failure.error;
  return results;
}
