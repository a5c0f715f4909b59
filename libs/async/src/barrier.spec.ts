import { Barrier } from './barrier';

describe('Barrier', () => {
  it('holds its waiters until opened', async () => {
    const barrier = new Barrier();
    let passed = false;
    const waiter = barrier.wait().then(() => (passed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toBe(false);
    expect(barrier.isOpen).toBe(false);
    barrier.open();
    await waiter;
    expect(passed).toBe(true);
    expect(barrier.isOpen).toBe(true);
  });

  it('lets a waiter that comes after the opening through at once', async () => {
    const barrier = new Barrier();
    barrier.open();
    await expect(barrier.wait()).resolves.toBeUndefined();
  });

  it('can be opened more than once (the first opening counts)', async () => {
    const barrier = new Barrier();
    barrier.open();
    expect(() => barrier.open()).not.toThrow();
    await expect(barrier.wait()).resolves.toBeUndefined();
  });
});
