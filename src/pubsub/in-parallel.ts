/**
 * `work` over every item, at most `limit` at a time, results in the items' order: an admin listing
 * of thousands of topics or groups asks for each one's details without waiting on each round trip
 * in turn, and without thousands of requests queued at once.
 */
export async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
