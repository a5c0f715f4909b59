/**
 * How long attempts on one username wait after its failures, as a table the
 * limiter indexes by the number of failures so far: the first `freeFailures`
 * cost nothing, then 1 s, 2 s, 4 s, … doubling up to `maxDelaySeconds`, where
 * the table ends (every later failure waits the last entry). A delay, never
 * a lock: whoever holds the password gets in once the delay has passed.
 *
 * freeFailures 3, max 5 s → [0, 0, 0, 1000, 2000, 4000, 5000]
 */
export function usernameDelaySchedule(freeFailures: number, maxDelaySeconds: number): number[] {
  const schedule: number[] = Array<number>(freeFailures).fill(0);
  const maxMs = maxDelaySeconds * 1000;
  for (let delay = 1000; ; delay *= 2) {
    schedule.push(Math.min(delay, maxMs));
    if (delay >= maxMs) return schedule;
  }
}
