import { mapLimit } from './map-limit';

/** A task whose calls stay pending until released by hand, recording what ran when. */
function controlledTask() {
  const started: number[] = [];
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  let inFlight = 0;
  let peak = 0;
  const task = (item: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(item);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      const settle = () => (inFlight -= 1);
      pending.set(item, {
        resolve: (v) => (settle(), resolve(v)),
        reject: (e) => (settle(), reject(e)),
      });
    });
  return { task, started, pending, peak: () => peak, inFlight: () => inFlight };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapLimit', () => {
  it('resolves with the results in input order, whatever order the calls finish in', async () => {
    const delays = [30, 5, 20, 1, 10];
    const results = await mapLimit(
      delays,
      2,
      (ms, index) => new Promise<string>((resolve) => setTimeout(() => resolve(`${index}:${ms}`), ms)),
    );
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
  });

  it('never has more than `limit` calls in flight, and starts items in input order', async () => {
    const t = controlledTask();
    const all = mapLimit([1, 2, 3, 4, 5], 2, t.task);
    await tick();
    expect(t.started).toEqual([1, 2]);
    t.pending.get(2)?.resolve('b');
    await tick();
    expect(t.started).toEqual([1, 2, 3]);
    for (const item of [1, 3, 4, 5]) {
      await tick();
      t.pending.get(item)?.resolve(String(item));
    }
    await expect(all).resolves.toEqual(['1', 'b', '3', '4', '5']);
    expect(t.peak()).toBe(2);
  });

  it('runs everything at once when the limit is above the number of items', async () => {
    const t = controlledTask();
    const all = mapLimit([1, 2, 3], 10, t.task);
    await tick();
    expect(t.started).toEqual([1, 2, 3]);
    for (const item of [1, 2, 3]) t.pending.get(item)?.resolve('ok');
    await expect(all).resolves.toEqual(['ok', 'ok', 'ok']);
  });

  it('resolves an empty list with an empty list without calling the task', async () => {
    const task = jest.fn();
    await expect(mapLimit([], 3, task)).resolves.toEqual([]);
    expect(task).not.toHaveBeenCalled();
  });

  it('rejects with the first error, starts nothing more, and only after the calls in flight settled', async () => {
    const t = controlledTask();
    let settled = false;
    const all = mapLimit([1, 2, 3, 4], 2, t.task).finally(() => (settled = true));
    all.catch(() => undefined);
    await tick();
    t.pending.get(1)?.reject(new Error('host 1 failed'));
    await tick();
    expect(t.started).toEqual([1, 2]);
    expect(settled).toBe(false);
    t.pending.get(2)?.resolve('b');
    await expect(all).rejects.toThrow('host 1 failed');
    expect(t.started).toEqual([1, 2]);
  });

  it('rejects with an error thrown synchronously by the task', async () => {
    await expect(
      mapLimit([1], 1, () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it.each([0, -1, Number.NaN])('refuses a limit of %p', async (limit) => {
    await expect(mapLimit([1], limit, async (x) => x)).rejects.toThrow(RangeError);
  });
});
