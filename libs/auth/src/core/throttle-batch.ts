/** What the throttler library expects back for one counted hit. */
export interface ThrottleOutcome {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * The reply of the rate-limit script for `n` hits on one key sent together:
 * the count once they are in, the window's and the block's remaining
 * milliseconds, and how many of the hits passed.
 */
export interface BatchReply {
  hits: number;
  windowMs: number;
  passed: number;
  blockMs: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The outcome of each of `n` hits counted together, in the order they
 * arrived, exactly as if each had been counted alone in that order: the first
 * `passed` get their own running count; the next trips the block (it was
 * counted) and the rest meet it (they were not).
 */
export function outcomesOfBatch(reply: BatchReply, n: number): ThrottleOutcome[] {
  const timeToExpire = seconds(reply.windowMs);
  const countedBefore = reply.hits - (reply.passed < n ? reply.passed + 1 : reply.passed);
  const outcomes: ThrottleOutcome[] = [];
  for (let i = 0; i < n; i++) {
    outcomes.push(
      i < reply.passed
        ? { totalHits: countedBefore + i + 1, timeToExpire, isBlocked: false, timeToBlockExpire: 0 }
        : { totalHits: reply.hits, timeToExpire, isBlocked: true, timeToBlockExpire: seconds(reply.blockMs) },
    );
  }
  return outcomes;
}
