import { MaintenanceWindow, parseCron, parseInstant, startGate, validateWindow, windowStateAt, WindowState } from './maintenance-window';

const at = (iso: string) => new Date(iso);
const open = (closesAt: string): WindowState => ({ open: true, closesAt: at(closesAt) });
const closed = (opensAt: string | null): WindowState => ({ open: false, opensAt: opensAt === null ? null : at(opensAt) });
const daily = (hhmm: string, durationMinutes: number, timezone: string): MaintenanceWindow => {
  const [h, m] = hhmm.split(':').map(Number);
  return { recurrence: `${m} ${h} * * *`, duration: `${durationMinutes}m`, timezone };
};

describe('windowStateAt', () => {
  it.each<[string, MaintenanceWindow, string, WindowState]>([
    [
      'a one-off window is closed before its start',
      { start: '2026-06-01T22:00', end: '2026-06-02T02:00', timezone: 'Europe/Berlin' },
      '2026-06-01T19:00:00Z',
      closed('2026-06-01T20:00:00Z'),
    ],
    [
      'a one-off window is open between start and end',
      { start: '2026-06-01T22:00', end: '2026-06-02T02:00', timezone: 'Europe/Berlin' },
      '2026-06-01T21:00:00Z',
      open('2026-06-02T00:00:00Z'),
    ],
    [
      'a one-off window never opens again after its end',
      { start: '2026-06-01T22:00', end: '2026-06-02T02:00', timezone: 'Europe/Berlin' },
      '2026-06-02T00:00:00Z',
      closed(null),
    ],
    [
      'a one-off window across the spring change lasts the elapsed 2 hours',
      { start: '2026-03-29T01:00', end: '2026-03-29T04:00', timezone: 'Europe/Berlin' },
      '2026-03-29T01:59:00Z',
      open('2026-03-29T02:00:00Z'),
    ],
    [
      'a daily window opens next at its local time (summer, New York)',
      daily('22:00', 60, 'America/New_York'),
      '2026-07-01T01:30:00Z',
      closed('2026-07-01T02:00:00Z'),
    ],
    [
      'a daily window is open within its duration',
      daily('22:00', 60, 'America/New_York'),
      '2026-07-01T02:30:00Z',
      open('2026-07-01T03:00:00Z'),
    ],
    [
      'the same daily window opens an hour later in UTC in winter',
      daily('22:00', 60, 'America/New_York'),
      '2026-12-01T02:30:00Z',
      closed('2026-12-01T03:00:00Z'),
    ],
    [
      'a window opened before the spring change closes after the elapsed duration',
      daily('01:30', 120, 'Europe/Berlin'),
      '2026-03-29T02:00:00Z',
      open('2026-03-29T02:30:00Z'),
    ],
    [
      'an opening in the spring gap (02:30 does not exist) opens when the clocks jump',
      daily('02:30', 30, 'Europe/Berlin'),
      '2026-03-29T00:45:00Z',
      closed('2026-03-29T01:00:00Z'),
    ],
    [
      'an opening in the autumn overlap (02:30 happens twice) opens at the first',
      daily('02:30', 30, 'Europe/Berlin'),
      '2026-10-24T23:00:00Z',
      closed('2026-10-25T00:30:00Z'),
    ],
    [
      'a New York opening in its spring gap opens at 03:00 EDT',
      daily('02:15', 60, 'America/New_York'),
      '2026-03-08T06:00:00Z',
      closed('2026-03-08T07:00:00Z'),
    ],
    [
      'a window spanning midnight is open the next morning',
      daily('23:00', 180, 'UTC'),
      '2026-05-02T01:00:00Z',
      open('2026-05-02T02:00:00Z'),
    ],
    [
      'a Saturday-only window waits for Saturday',
      { recurrence: '0 3 * * 6', duration: '1h', timezone: 'UTC' },
      '2026-05-04T12:00:00Z',
      closed('2026-05-09T03:00:00Z'),
    ],
    [
      'a first-of-the-month window skips to the next month',
      { recurrence: '0 0 1 * *', duration: '1h', timezone: 'UTC' },
      '2026-05-01T02:00:00Z',
      closed('2026-06-01T00:00:00Z'),
    ],
    [
      'a seconds field opens every 20 s',
      { recurrence: '*/20 * * * * *', duration: '8s', timezone: 'UTC' },
      '2026-05-01T02:00:09Z',
      closed('2026-05-01T02:00:20Z'),
    ],
    [
      'a seconds-field window is open for its duration',
      { recurrence: '*/20 * * * * *', duration: '8s', timezone: 'UTC' },
      '2026-05-01T02:00:21Z',
      open('2026-05-01T02:00:28Z'),
    ],
    [
      'a 1h30m window combines units',
      { recurrence: '0 22 * * *', duration: '1h30m', timezone: 'UTC' },
      '2026-05-01T23:00:00Z',
      open('2026-05-01T23:30:00Z'),
    ],
  ])('%s', (_name, window, now, expected) => {
    expect(windowStateAt(window, at(now))).toEqual(expected);
  });
});

describe('validateWindow', () => {
  it.each<[string, unknown, string[]]>([
    ['a good one-off window', { start: '2026-06-01T22:00', end: '2026-06-02T02:00', timezone: 'Europe/Berlin' }, []],
    ['a good recurring window', { recurrence: '0 2 * * 1-5', duration: '90m', timezone: 'America/New_York' }, []],
    ['a good recurring window with seconds', { recurrence: '0,30 * * * * *', duration: '10s', timezone: 'UTC' }, []],
    ['an end before the start', { start: '2026-06-02T02:00', end: '2026-06-01T22:00', timezone: 'UTC' }, ['window.end']],
    ['an end equal to the start', { start: '2026-06-02T02:00', end: '2026-06-02T02:00', timezone: 'UTC' }, ['window.end']],
    ['an unknown time zone', { start: '2026-06-01T22:00', end: '2026-06-02T02:00', timezone: 'Mars/Olympus' }, ['window.timezone']],
    ['a date that does not exist', { start: '2026-02-30T22:00', end: '2026-03-02T02:00', timezone: 'UTC' }, ['window.start']],
    ['a bad cron expression', { recurrence: '0 25 * * *', duration: '1h', timezone: 'UTC' }, ['window.recurrence']],
    ['a zero duration', { recurrence: '0 2 * * *', duration: '0m', timezone: 'UTC' }, ['window.duration']],
    ['a duration over 7 days', { recurrence: '0 2 * * *', duration: '8d', timezone: 'UTC' }, ['window.duration']],
    ['a duration without a unit', { recurrence: '0 2 * * *', duration: '90', timezone: 'UTC' }, ['window.duration']],
    ['a recurrence that never matches a date', { recurrence: '0 0 31 2 *', duration: '1h', timezone: 'UTC' }, ['window.recurrence']],
    ['a leap-day recurrence is fine', { recurrence: '0 0 29 2 *', duration: '1h', timezone: 'UTC' }, []],
    ['an unknown field', { start: '2026-06-01T22:00', end: '2026-06-02T02:00', timezone: 'UTC', days: 2 }, ['window.days']],
    ['not an object', 'tonight', ['window']],
  ])('%s', (_name, input, fields) => {
    expect(validateWindow(input).map((p) => p.field)).toEqual(fields);
  });
});

describe('parseCron', () => {
  it.each<[string, string, number[] | null]>([
    ['every minute', '* * * * *', Array.from({ length: 60 }, (_, i) => i)],
    ['a list', '0,30 * * * *', [0, 30]],
    ['a stepped range', '10-40/15 * * * *', [10, 25, 40]],
    ['a step over the whole field', '*/20 * * * *', [0, 20, 40]],
    ['a minute out of range', '60 * * * *', null],
    ['too few fields', '0 2 * *', null],
    ['six fields: seconds first', '*/30 5 * * * *', [5]],
    ['a second out of range', '61 * * * * *', null],
  ])('%s', (_name, expression, minutes) => {
    expect(parseCron(expression)?.minutes ?? null).toEqual(minutes);
  });
});

describe('windowStateAt on dense recurrences', () => {
  it('an every-second window of 7 days is open, closing 7 days after the latest second', () => {
    expect(windowStateAt({ recurrence: '* * * * * *', duration: '7d', timezone: 'Europe/Berlin' }, at('2026-03-29T12:00:00Z'))).toEqual(
      open('2026-04-05T12:00:00Z'),
    );
  });

  it('uses the right offset on the days around a DST change (steady and changing days alike)', () => {
    const window = { recurrence: '0 3 * * *', duration: '30m', timezone: 'Europe/Berlin' };
    expect(windowStateAt(window, at('2026-03-28T00:00:00Z'))).toEqual(closed('2026-03-28T02:00:00Z'));
    expect(windowStateAt(window, at('2026-03-28T03:00:00Z'))).toEqual(closed('2026-03-29T01:00:00Z'));
    expect(windowStateAt(window, at('2026-03-29T02:00:00Z'))).toEqual(closed('2026-03-30T01:00:00Z'));
  });
});

describe('windowStateAt far ahead', () => {
  it('finds a leap-day opening years away', () => {
    expect(windowStateAt({ recurrence: '0 0 29 2 *', duration: '1h', timezone: 'UTC' }, at('2025-03-01T00:00:00Z'))).toEqual(
      closed('2028-02-29T00:00:00Z'),
    );
  });
});

describe('parseInstant', () => {
  it.each<[string, string | null]>([
    ['2026-12-01T22:00:00Z', '2026-12-01T22:00:00.000Z'],
    ['2026-12-01T23:00+01:00', '2026-12-01T22:00:00.000Z'],
    ['2026-12-01T17:00:00.250-05:00', '2026-12-01T22:00:00.250Z'],
    ['2026-12-01T22:00:00', null],
    ['2026-02-30T00:00:00Z', null],
    ['2026-12-01T24:00:00Z', null],
    ['2026-12-01T22:00:00+25:00', null],
    ['tomorrow', null],
  ])('%s', (text, expected) => {
    expect(parseInstant(text)?.toISOString() ?? null).toEqual(expected);
  });
});

describe('startGate', () => {
  const t = (iso: string) => Date.parse(iso);
  const nightly = { recurrence: '0 22 * * *', duration: '2h', timezone: 'UTC' };
  it.each<[string, Parameters<typeof startGate>[0], string, unknown]>([
    ['no schedule: open', {}, '2026-05-01T12:00:00Z', { open: true }],
    [
      'before notBefore: held until it',
      { notBefore: t('2026-05-01T13:00:00Z') },
      '2026-05-01T12:00:00Z',
      { open: false, reason: 'not_before', until: t('2026-05-01T13:00:00Z') },
    ],
    [
      'before notBefore with the window closed then: held until the window opens after it',
      { notBefore: t('2026-05-01T13:00:00Z'), window: nightly },
      '2026-05-01T12:00:00Z',
      { open: false, reason: 'not_before', until: t('2026-05-01T22:00:00Z') },
    ],
    [
      'before notBefore with the window open then: held until notBefore',
      { notBefore: t('2026-05-01T23:00:00Z'), window: nightly },
      '2026-05-01T12:00:00Z',
      { open: false, reason: 'not_before', until: t('2026-05-01T23:00:00Z') },
    ],
    ['inside the window: open', { window: nightly }, '2026-05-01T23:30:00Z', { open: true }],
    [
      'outside the window: held until it opens',
      { window: nightly },
      '2026-05-02T00:30:00Z',
      { open: false, reason: 'window_closed', until: t('2026-05-02T22:00:00Z') },
    ],
  ])('%s', (_name, schedule, now, expected) => {
    expect(startGate(schedule, t(now))).toEqual(expected);
  });
});
