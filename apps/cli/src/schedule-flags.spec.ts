import { UsageError } from './cli-errors';
import { scheduleFlags } from './schedule-flags';

describe('scheduleFlags', () => {
  it.each<[string, string | undefined, string | undefined, unknown]>([
    ['nothing given', undefined, undefined, {}],
    ['a named window', 'weeknights', undefined, { window: 'weeknights' }],
    [
      'a JSON window',
      '{"start":"2026-12-01T22:00","end":"2026-12-02T02:00","timezone":"UTC"}',
      undefined,
      { window: { start: '2026-12-01T22:00', end: '2026-12-02T02:00', timezone: 'UTC' } },
    ],
    ['notBefore is passed as given (the gateway validates it)', undefined, '2026-12-01T22:00:00Z', { notBefore: '2026-12-01T22:00:00Z' }],
  ])('%s', (_name, window, notBefore, expected) => {
    expect(scheduleFlags(window, notBefore)).toEqual(expected);
  });

  it.each([['{not json'], ['  ']])('refuses --window %j as bad usage', (window) => {
    expect(() => scheduleFlags(window, undefined)).toThrow(UsageError);
  });
});
