import { checkSchedule, scheduleView } from './schedule-request';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const DAY = 86_400_000;

describe('checkSchedule', () => {
  it.each<{ name: string; input: Parameters<typeof checkSchedule>[0]; expected: string[] }>([
    { name: 'accepts no schedule at all', input: {}, expected: [] },
    { name: 'accepts a notBefore with its offset', input: { notBefore: '2026-03-02T10:00:00+01:00' }, expected: [] },
    {
      name: 'refuses a notBefore without its offset',
      input: { notBefore: '2026-03-02T10:00:00' },
      expected: [expect.stringMatching(/^notBefore: must be an existing ISO 8601 instant/) as unknown as string],
    },
    {
      name: 'refuses a notBefore more than a year ahead (the hosts stay claimed meanwhile)',
      input: { notBefore: new Date(NOW + 400 * DAY).toISOString() },
      expected: ['notBefore: at most 366 days ahead (the hosts stay claimed while the deployment waits)'],
    },
    {
      name: 'refuses a one-off window that is already over',
      input: { window: { start: '2026-02-01T00:00', end: '2026-02-01T02:00', timezone: 'UTC' } },
      expected: ['window: never open again: the deployment could never start'],
    },
    {
      name: 'refuses a window that never opens after notBefore',
      input: { notBefore: '2026-03-05T00:00:00Z', window: { start: '2026-03-02T00:00', end: '2026-03-02T02:00', timezone: 'UTC' } },
      expected: ['window: never open after notBefore: the deployment could never start'],
    },
  ])('$name', ({ input, expected }) => {
    expect(checkSchedule(input, undefined, NOW).problems).toEqual(expected);
  });

  it('copies a named window and keeps its id', () => {
    const window = { recurrence: '0 22 * * *', duration: '2h', timezone: 'UTC' };
    const { problems, schedule } = checkSchedule({ window: 'nightly' }, { id: 'w-1', window }, NOW);
    expect(problems).toEqual([]);
    expect(schedule).toEqual({ window, maintenanceWindowId: 'w-1', notBefore: null });
  });

  it('passes on the problems of a named window that could not be used', () => {
    expect(
      checkSchedule({ window: 'gone' }, { problems: ['window: no maintenance window named or with id "gone"'] }, NOW).problems,
    ).toEqual(['window: no maintenance window named or with id "gone"']);
  });

  it('reads the clock only from its parameter', () => {
    const input = { notBefore: '2026-03-02T00:00:00Z' };
    expect(checkSchedule(input, undefined, NOW).problems).toEqual([]);
    expect(checkSchedule(input, undefined, NOW - 400 * DAY).problems).toHaveLength(1);
  });
});

describe('scheduleView', () => {
  it('says why and until when no host can start yet', () => {
    const notBefore = new Date(NOW + DAY);
    expect(scheduleView({ window: null, maintenanceWindowId: null, notBefore }, NOW).now).toEqual({
      canStart: false,
      reason: 'not_before',
      until: notBefore.toISOString(),
    });
  });

  it('says a host can start once nothing holds it', () => {
    expect(scheduleView({ window: null, maintenanceWindowId: null, notBefore: null }, NOW).now).toEqual({ canStart: true });
  });
});
