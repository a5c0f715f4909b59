import { ProgressReport, ProgressWriter } from './progress-writer';

const at = (phase: string, done: number): ProgressReport => ({ phase, done, total: 10, percent: done * 10 });

describe('ProgressWriter', () => {
  let now = 0;
  let written: ProgressReport[];
  let writer: ProgressWriter;
  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000;
    written = [];
    writer = new ProgressWriter(
      async (p) => {
        written.push(p);
      },
      250,
      () => now,
    );
  });
  afterEach(() => {
    writer.cancel();
    jest.useRealTimers();
  });

  it('writes the first progress and every phase change at once', async () => {
    await writer.report(at('step 1/4', 0));
    now += 10;
    await writer.report(at('step 2/4', 1));
    expect(written).toEqual([at('step 1/4', 0), at('step 2/4', 1)]);
  });

  it('skips an unchanged progress', async () => {
    await writer.report(at('step 1/4', 1));
    now += 1_000;
    await writer.report(at('step 1/4', 1));
    expect(written).toHaveLength(1);
  });

  it('holds changes inside the interval and writes the latest when it ends', async () => {
    await writer.report(at('step 3/4', 1));
    now += 50;
    await writer.report(at('step 3/4', 2));
    now += 50;
    await writer.report(at('step 3/4', 3));
    expect(written).toEqual([at('step 3/4', 1)]);
    // The trailing write comes when the interval since the last write ends (200 ms after the first held change).
    now += 100;
    await jest.advanceTimersByTimeAsync(199);
    expect(written).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(written).toEqual([at('step 3/4', 1), at('step 3/4', 3)]);
  });

  it('writes once the interval has passed', async () => {
    await writer.report(at('step 3/4', 1));
    now += 300;
    await writer.report(at('step 3/4', 2));
    expect(written).toEqual([at('step 3/4', 1), at('step 3/4', 2)]);
  });

  it('flush writes what is pending at once; cancel drops it', async () => {
    await writer.report(at('step 3/4', 1));
    now += 10;
    await writer.report(at('step 3/4', 2));
    await writer.flush();
    expect(written).toEqual([at('step 3/4', 1), at('step 3/4', 2)]);
    now += 10;
    await writer.report(at('step 3/4', 3));
    writer.cancel();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(written).toHaveLength(2);
  });

  it('reports a failed write to the caller and writes it again on the next report', async () => {
    let fail = true;
    const attempts: ProgressReport[] = [];
    const flaky = new ProgressWriter(
      async (p) => {
        attempts.push(p);
        if (fail) throw new Error('database down');
      },
      250,
      () => now,
    );
    await expect(flaky.report(at('step 1/4', 0))).rejects.toThrow('database down');
    fail = false;
    now += 1;
    await flaky.report(at('step 1/4', 0));
    expect(attempts).toEqual([at('step 1/4', 0), at('step 1/4', 0)]);
  });

  it('writes a value again when it comes back while a newer write is under way', async () => {
    let release!: () => void;
    const order: ProgressReport[] = [];
    const slow = new ProgressWriter(
      async (p) => {
        if (p.done === 2) await new Promise<void>((r) => (release = r));
        order.push(p);
      },
      0,
      () => now,
    );
    await slow.report(at('step 1/4', 1));
    const second = slow.report(at('step 1/4', 2));
    await jest.advanceTimersByTimeAsync(0);
    const back = slow.report(at('step 1/4', 1));
    release();
    await Promise.all([second, back]);
    expect(order).toEqual([at('step 1/4', 1), at('step 1/4', 2), at('step 1/4', 1)]);
  });
});
