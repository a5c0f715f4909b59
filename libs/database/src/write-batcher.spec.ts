import { WriteBatcher } from './write-batcher';

function deferred() {
  let resolve!: (value: (Error | null)[]) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<(Error | null)[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('WriteBatcher', () => {
  it('sends a lone write at once, and groups the writes that arrive while statements are in flight', async () => {
    const batches: number[][] = [];
    const pending: ReturnType<typeof deferred>[] = [];
    const batcher = new WriteBatcher<number>((items) => {
      batches.push(items);
      const d = deferred();
      pending.push(d);
      return d.promise;
    }, 500, 1);
    const first = batcher.write(1);
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => batcher.write(n));
    expect(batches).toEqual([[1]]); // waiting for the statement in flight
    pending[0]!.resolve([null]);
    await first;
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    pending[1]!.resolve([null, null, null]);
    await Promise.all(rest);
  });

  it('settles each write only when its own statement has committed', async () => {
    const d = deferred();
    const batcher = new WriteBatcher<string>(() => d.promise);
    let done = false;
    const write = batcher.write('a').then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    d.resolve([null]);
    await write;
    expect(done).toBe(true);
  });

  it('fails only the items the statement reports, and every item when the statement fails', async () => {
    const results: (Error | null)[][] = [[null, new Error('row b gone')]];
    let calls = 0;
    const batcher = new WriteBatcher<string>(async () => {
      calls += 1;
      if (calls === 2) throw new Error('connection lost');
      return results.shift() ?? [];
    }, 500, 1);
    const a = batcher.write('a');
    await a;
    const [b, c] = [batcher.write('b'), batcher.write('c')];
    await expect(b).rejects.toThrow('connection lost');
    await expect(c).rejects.toThrow('connection lost');
    const d = batcher.write('d');
    await expect(d).resolves.toBeUndefined();
  });

  it('reports a missing row to its own caller', async () => {
    const batcher = new WriteBatcher<string>(async (items) => items.map((i) => (i === 'gone' ? new Error(`no row ${i}`) : null)));
    await expect(Promise.allSettled([batcher.write('ok'), batcher.write('gone')])).resolves.toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new Error('no row gone') },
    ]);
  });

  it('caps a batch at maxBatch items', async () => {
    const sizes: number[] = [];
    const batcher = new WriteBatcher<number>(async (items) => {
      sizes.push(items.length);
      return items.map(() => null);
    }, 3, 1);
    await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.write(i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
