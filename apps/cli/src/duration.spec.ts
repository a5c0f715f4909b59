import { formatDuration, parseDurationMs } from './duration';

describe('parseDurationMs', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['90', 90_000],
    ['2d', 172_800_000],
    [' 10s ', 10_000],
  ])('reads %j as %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 's', '5x', '-5s', '1.5h', '5 m', 'm5', '30s5'])('refuses %j', (text) => expect(parseDurationMs(text)).toBeNull());
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [1_000, '1s'],
    [63_000, '1m 3s'],
    [3_600_000, '1h'],
    [3_723_000, '1h 2m 3s'],
  ])('writes %d ms as %j', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
