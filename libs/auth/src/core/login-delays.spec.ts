import { usernameDelaySchedule } from './login-delays';

describe('usernameDelaySchedule', () => {
  it.each([
    {
      name: 'free failures cost nothing, then the delay doubles up to the cap',
      free: 3,
      max: 5,
      expected: [0, 0, 0, 1000, 2000, 4000, 5000],
    },
    { name: 'a cap that is a power of two ends on it', free: 1, max: 8, expected: [0, 1000, 2000, 4000, 8000] },
    { name: 'a one-second cap is one step', free: 2, max: 1, expected: [0, 0, 1000] },
  ])('$name', ({ free, max, expected }) => {
    expect(usernameDelaySchedule(free, max)).toEqual(expected);
  });

  it('never waits longer than the cap, however many failures (the account is slowed, never locked)', () => {
    const schedule = usernameDelaySchedule(10, 30);
    expect(Math.max(...schedule)).toBe(30_000);
    expect(schedule.at(-1)).toBe(30_000);
  });
});
