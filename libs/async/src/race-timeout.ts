/**
 * `promise`, or a rejection with `onTimeout()` if it has not settled within
 * `ms`. The timer is cleared either way, so it never holds the process open.
 * The promise itself is not cancelled: it settles unobserved.
 */
export function raceTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
