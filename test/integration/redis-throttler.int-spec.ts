// The rate-limit counters on real Redis, shared by two "gateways" (storages
// with their own connections): hits sent together count exactly as the same
// hits one after the other.
import Redis from 'ioredis';
import { RedisThrottlerStorage } from '../../libs/auth/src/rate-limit/redis-throttler.storage';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(30_000);

const MINUTE_MS = 60_000;

describe('RedisThrottlerStorage', () => {
  let redisA: Redis;
  let redisB: Redis;
  let gatewayA: RedisThrottlerStorage;
  let gatewayB: RedisThrottlerStorage;

  beforeAll(() => {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error('REDIS_URL is not set (global setup)');
    redisA = new Redis(url);
    redisB = new Redis(url);
    gatewayA = new RedisThrottlerStorage(redisA);
    gatewayB = new RedisThrottlerStorage(redisB);
  });

  afterAll(async () => {
    await redisA.quit();
    await redisB.quit();
  });

  it('counts hits that arrive together in order: those within the limit pass with their own count, the first over it trips the block', async () => {
    const key = `together-${randomSuffix()}`;
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map(() => gatewayA.increment(key, MINUTE_MS, 3, MINUTE_MS, 'default')));
    expect(outcomes.map((o) => [o.totalHits, o.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [4, true],
    ]);
    expect(outcomes[3]?.timeToBlockExpire).toBe(60);
    expect(outcomes[0]?.timeToExpire).toBe(60);
    // As five hits one after the other would leave it: four counted, the block set for a minute.
    expect(await redisA.get(`vz:throttle:default:${key}`)).toBe('4');
    expect(await redisA.pttl(`vz:throttle:default:${key}:blocked`)).toBeGreaterThan(59_000);
  });

  it('gives the same outcomes as hits sent one at a time', async () => {
    const together = `compare-together-${randomSuffix()}`;
    const oneByOne = `compare-single-${randomSuffix()}`;
    const batched = await Promise.all(Array.from({ length: 7 }, () => gatewayA.increment(together, MINUTE_MS, 4, MINUTE_MS, 'scan')));
    const sequential = [];
    for (let i = 0; i < 7; i++) sequential.push(await gatewayA.increment(oneByOne, MINUTE_MS, 4, MINUTE_MS, 'scan'));
    expect(batched).toEqual(sequential);
  });

  it('shares one count between gateways, and refuses on one what the other blocked', async () => {
    const key = `shared-${randomSuffix()}`;
    const [a, b] = await Promise.all([
      gatewayA.increment(key, MINUTE_MS, 2, MINUTE_MS, 'login'),
      gatewayB.increment(key, MINUTE_MS, 2, MINUTE_MS, 'login'),
    ]);
    expect([a.totalHits, b.totalHits].sort()).toEqual([1, 2]);
    expect((await gatewayA.increment(key, MINUTE_MS, 2, MINUTE_MS, 'login')).isBlocked).toBe(true);
    const afterBlock = await gatewayB.increment(key, MINUTE_MS, 2, MINUTE_MS, 'login');
    expect(afterBlock).toEqual(expect.objectContaining({ isBlocked: true, totalHits: 3 }));
  });

  it('keeps the counters of different callers and limits apart within one round trip', async () => {
    const alice = `alice-${randomSuffix()}`;
    const bob = `bob-${randomSuffix()}`;
    const outcomes = await Promise.all([
      gatewayA.increment(alice, MINUTE_MS, 1, MINUTE_MS, 'default'),
      gatewayA.increment(bob, MINUTE_MS, 1, MINUTE_MS, 'default'),
      gatewayA.increment(alice, MINUTE_MS, 5, MINUTE_MS, 'scan'),
      gatewayA.increment(alice, MINUTE_MS, 1, MINUTE_MS, 'default'),
    ]);
    expect(outcomes.map((o) => [o.totalHits, o.isBlocked])).toEqual([
      [1, false],
      [1, false],
      [1, false],
      [2, true],
    ]);
  });
});
