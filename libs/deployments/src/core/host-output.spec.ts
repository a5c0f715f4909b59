import { hostOutputChannel, isHostOutputSettled, splitUtf8 } from './host-output';
import type { DeploymentStatus } from './deployment-state';
import type { HostStatus } from './host-state';

describe('splitUtf8', () => {
  it.each<[string, string, number, string[]]>([
    ['empty text gives no piece', '', 8, []],
    ['short text stays whole', 'hello', 8, ['hello']],
    ['long ASCII text is cut at the byte budget', 'abcdefghij', 4, ['abcd', 'efgh', 'ij']],
    ['a two-byte character is never cut in half', 'aéé', 4, ['aé', 'é']],
    ['a four-byte emoji moves whole to the next piece', 'abc😀d', 4, ['abc', '😀', 'd']],
  ])('%s', (_name, text, max, expected) => {
    const pieces = splitUtf8(text, max);
    expect(pieces).toEqual(expected);
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(max);
  });
});

describe('isHostOutputSettled', () => {
  it.each<[HostStatus, DeploymentStatus, boolean]>([
    ['pending', 'running', false],
    ['pending', 'paused', false],
    ['pending', 'failed', true],
    ['pending', 'cancelled', true],
    ['capturing', 'running', false],
    ['applying', 'running', false],
    ['verifying', 'running', false],
    ['rolling_back', 'rolling_back', false],
    ['healthy', 'running', true],
    ['failed', 'running', true],
    ['rolled_back', 'rolled_back', true],
    ['rollback_failed', 'rollback_failed', true],
    ['skipped', 'cancelled', true],
  ])('a %s host of a %s deployment is settled: %s', (status, deployment, settled) =>
    expect(isHostOutputSettled(status, deployment)).toBe(settled));
});

it('names one channel per deployment and host', () => {
  expect(hostOutputChannel('d1', 'h1')).toBe('vz:host-output:d1:h1');
});
