import { PerRoute } from './per-route';

describe('PerRoute', () => {
  class A {}
  class B {}
  const get = () => undefined;
  const list = () => undefined;

  it('computes once per controller and handler, and keeps a null or false answer too', () => {
    const cache = new PerRoute<string | null>();
    let calls = 0;
    const compute = (value: string | null) => () => {
      calls += 1;
      return value;
    };
    expect(cache.get(A, get, compute('a.get'))).toBe('a.get');
    expect(cache.get(A, get, compute('other'))).toBe('a.get');
    expect(cache.get(A, list, compute(null))).toBeNull();
    expect(cache.get(A, list, compute('other'))).toBeNull();
    // The same handler under another controller (inherited) is a route of its own.
    expect(cache.get(B, get, compute('b.get'))).toBe('b.get');
    expect(calls).toBe(3);
  });
});
