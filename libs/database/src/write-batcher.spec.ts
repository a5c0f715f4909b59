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
    const batcher = new WriteBatcher<number>(
      (items) => {
        batches.push(items);
        const d = deferred();
        pending.push(d);
        return d.promise;
      },
      { maxInFlight: 1 },
    );
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

  it('fails only the items the statement reports, and every item when the database is down', async () => {
    let down = false;
    const batcher = new WriteBatcher<string>(
      async (items) => {
        if (down) throw new Error('connection lost');
        return items.map((i) => (i === 'b' ? new Error('row b gone') : null));
      },
      { maxInFlight: 1 },
    );
    await expect(Promise.allSettled([batcher.write('a'), batcher.write('b')])).resolves.toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new Error('row b gone') },
    ]);
    down = true;
    const [c, d] = [batcher.write('c'), batcher.write('d')];
    await expect(c).rejects.toThrow('connection lost');
    await expect(d).rejects.toThrow('connection lost');
    down = false;
    await expect(batcher.write('e')).resolves.toBeUndefined();
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
    const batcher = new WriteBatcher<number>(
      async (items) => {
        sizes.push(items.length);
        return items.map(() => null);
      },
      { maxBatch: 3, maxInFlight: 1 },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.write(i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });

  it('retries each write alone when a shared statement is refused, so one bad row fails only its caller', async () => {
    const statements: string[][] = [];
    const batcher = new WriteBatcher<string>(
      async (items) => {
        statements.push(items);
        if (items.includes('bad')) throw new Error('invalid input: \\u0000 cannot be converted to text');
        return items.map(() => null);
      },
      { maxInFlight: 1 },
    );
    const first = batcher.write('first');
    const rest = ['a', 'bad', 'b'].map((item) => batcher.write(item));
    await first;
    const settled = await Promise.allSettled(rest);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(statements).toEqual([['first'], ['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });

  it('never puts two writes of one key in one statement, and keeps their order', async () => {
    const statements: string[][] = [];
    const batcher = new WriteBatcher<string>(
      async (items) => {
        statements.push(items);
        return items.map(() => null);
      },
      { maxInFlight: 1, keyOf: (item) => item.split(':')[0] as string },
    );
    const first = batcher.write('x:0');
    const rest = ['a:1', 'b:1', 'a:2', 'c:1'].map((item) => batcher.write(item));
    await Promise.all([first, ...rest]);
    expect(statements).toEqual([['x:0'], ['a:1', 'b:1'], ['a:2', 'c:1']]);
  });
});
