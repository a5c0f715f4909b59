import {
  COMMAND_SUMMARY_STREAM_BYTES,
  hostOutputChannel,
  isHostOutputSettled,
  pageOfCommands,
  splitUtf8,
  summarizeCommand,
} from './host-output';
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
    expect(isHostOutputSettled(status, deployment)).toBe(settled),
  );
});

it('names one channel per deployment and host', () => {
  expect(hostOutputChannel('d1', 'h1')).toBe('vz:host-output:d1:h1');
});

describe('summarizeCommand', () => {
  const aRecord = (stdout: string, stderr = '') => ({ phase: 'apply', exitCode: 0, durationMs: 12, stdout, stderr });

  it.each([
    { name: 'short streams stay whole and are not marked cut', stdout: 'ok\n', max: 8, expected: { stdout: 'ok\n', stdoutCut: false } },
    { name: 'a long stream keeps its last bytes', stdout: '0123456789', max: 4, expected: { stdout: '6789', stdoutCut: true } },
    { name: 'the cut never starts inside a character', stdout: 'abcé', max: 2, expected: { stdout: 'é', stdoutCut: true } },
    { name: 'a cut inside a four-byte character drops it whole', stdout: 'x😀y', max: 4, expected: { stdout: 'y', stdoutCut: true } },
  ])('$name', ({ stdout, max, expected }) => {
    expect(summarizeCommand(aRecord(stdout), max)).toEqual({ ...aRecord(stdout), ...expected, stderr: '', stderrCut: false });
  });

  it('bounds each stream to 4 KiB by default and keeps exit code and timing', () => {
    const summary = summarizeCommand(aRecord('o'.repeat(64 * 1024), 'e'.repeat(10_000)));
    expect(Buffer.byteLength(summary.stdout)).toBe(COMMAND_SUMMARY_STREAM_BYTES);
    expect(Buffer.byteLength(summary.stderr)).toBe(COMMAND_SUMMARY_STREAM_BYTES);
    expect(summary).toMatchObject({ exitCode: 0, durationMs: 12, phase: 'apply', stdoutCut: true, stderrCut: true });
  });
});

describe('pageOfCommands', () => {
  it.each([
    { name: 'a first page gives the next cursor', cursor: 0, limit: 2, expected: { items: [0, 1], nextCursor: '2' } },
    { name: 'the last page has no next cursor', cursor: 2, limit: 2, expected: { items: [2, 3], nextCursor: null } },
    { name: 'a cursor past the end is an empty page', cursor: 9, limit: 2, expected: { items: [], nextCursor: null } },
  ])('$name', ({ cursor, limit, expected }) => {
    expect(pageOfCommands([0, 1, 2, 3], cursor, limit)).toEqual(expected);
  });
});
