import { outcomesOfBatch, ThrottleOutcome } from './throttle-batch';

const pass = (totalHits: number, timeToExpire = 60): ThrottleOutcome => ({
  totalHits,
  timeToExpire,
  isBlocked: false,
  timeToBlockExpire: 0,
});
const refuse = (totalHits: number, timeToBlockExpire = 60, timeToExpire = 60): ThrottleOutcome => ({
  totalHits,
  timeToExpire,
  isBlocked: true,
  timeToBlockExpire,
});

describe('outcomesOfBatch', () => {
  it.each<[string, Parameters<typeof outcomesOfBatch>[0], number, ThrottleOutcome[]]>([
    ['one hit within the limit counts as the next hit', { hits: 3, windowMs: 60_000, passed: 1, blockMs: 0 }, 1, [pass(3)]],
    [
      'hits within the limit each get their own running count',
      { hits: 5, windowMs: 59_001, passed: 3, blockMs: 0 },
      3,
      [pass(3), pass(4), pass(5)],
    ],
    [
      'the first hit over the limit is counted and refused, the later ones meet the block uncounted',
      { hits: 4, windowMs: 60_000, passed: 2, blockMs: 60_000 },
      4,
      [pass(2), pass(3), refuse(4), refuse(4)],
    ],
    [
      'a single hit over the limit is counted and refused',
      { hits: 4, windowMs: 30_000, passed: 0, blockMs: 60_000 },
      1,
      [refuse(4, 60, 30)],
    ],
    [
      'hits on a counter already blocked are all refused with the time the block has left',
      { hits: 4, windowMs: 12_500, passed: 0, blockMs: 40_200 },
      2,
      [refuse(4, 41, 13), refuse(4, 41, 13)],
    ],
    [
      'a window Redis reports without expiry (-1 ms) is 0 seconds, never negative',
      { hits: 1, windowMs: -1, passed: 1, blockMs: 0 },
      1,
      [pass(1, 0)],
    ],
  ])('%s', (_name, reply, n, expected) => {
    expect(outcomesOfBatch(reply, n)).toEqual(expected);
  });
});
