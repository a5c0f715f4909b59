import { raceTimeout } from './race-timeout';

describe('raceTimeout', () => {
  it('resolves with the promise when it settles in time', async () => {
    await expect(raceTimeout(Promise.resolve('answer'), 1000, () => new Error('late'))).resolves.toBe('answer');
  });

  it("passes on the promise's own rejection", async () => {
    await expect(raceTimeout(Promise.reject(new Error('refused')), 1000, () => new Error('late'))).rejects.toThrow('refused');
  });

  it('rejects with the given error when the promise is late', async () => {
    const never = new Promise<string>(() => undefined);
    await expect(raceTimeout(never, 10, () => new Error('no answer in 10 ms'))).rejects.toThrow('no answer in 10 ms');
  });

  it('clears its timer once the promise settled (nothing left to keep the process up)', async () => {
    const clear = jest.spyOn(global, 'clearTimeout');
    await raceTimeout(Promise.resolve(1), 60_000, () => new Error('late'));
    expect(clear).toHaveBeenCalled();
    clear.mockRestore();
  });
});
