import { judgeVerify, VerifyRun, VerifyVerdict } from './verify-verdict';

const aRun = (run: Partial<VerifyRun>): VerifyRun => ({ exitCode: 1, timedOut: false, stderr: '', ...run });

describe('judgeVerify', () => {
  it.each<{ name: string; run: VerifyRun; expected: VerifyVerdict }>([
    { name: 'exit 0 means the change is in place', run: aRun({ exitCode: 0 }), expected: { kind: 'present' } },
    { name: 'exit 1 proves the change is gone', run: aRun({ exitCode: 1 }), expected: { kind: 'absent', exitCode: 1 } },
    { name: 'exit 125 still proves it', run: aRun({ exitCode: 125 }), expected: { kind: 'absent', exitCode: 125 } },
    {
      name: 'a timeout proves nothing',
      run: aRun({ exitCode: null, timedOut: true }),
      expected: { kind: 'unknown', reason: 'verify did not finish in 30 s' },
    },
    {
      name: 'a timeout proves nothing even with a status',
      run: aRun({ exitCode: 1, timedOut: true }),
      expected: { kind: 'unknown', reason: 'verify did not finish in 30 s' },
    },
    {
      name: 'no exit status (killed, connection lost) proves nothing',
      run: aRun({ exitCode: null }),
      expected: { kind: 'unknown', reason: 'verify ended without an exit status (killed, or the connection was lost)' },
    },
    {
      name: 'command not found (127) proves nothing',
      run: aRun({ exitCode: 127, stderr: 'sh: 1: dpkg-qery: not found\n' }),
      expected: { kind: 'unknown', reason: 'verify could not run: exit 127 (sh: 1: dpkg-qery: not found)' },
    },
    {
      name: 'not executable (126) proves nothing',
      run: aRun({ exitCode: 126 }),
      expected: { kind: 'unknown', reason: 'verify could not run: exit 126' },
    },
    {
      name: 'exit 255 proves nothing',
      run: aRun({ exitCode: 255 }),
      expected: { kind: 'unknown', reason: 'verify lost its connection or could not start (exit 255)' },
    },
    {
      name: 'killed by SIGKILL (137) proves nothing',
      run: aRun({ exitCode: 137 }),
      expected: { kind: 'unknown', reason: 'verify was killed (exit 137, signal 9)' },
    },
    {
      name: 'a command become (sudo) did not run proves nothing',
      run: aRun({
        exitCode: 126,
        stderr: 'sudo: 1 incorrect password attempt\nvulnzero-become: sudo did not run the command (sudo exited 1): …\n',
      }),
      expected: {
        kind: 'unknown',
        reason: 'verify could not run: exit 126 (vulnzero-become: sudo did not run the command (sudo exited 1): …)',
      },
    },
    {
      name: 'a sudo refusal with exit 1 proves nothing',
      run: aRun({ exitCode: 1, stderr: 'sudo: a password is required\n' }),
      expected: { kind: 'unknown', reason: 'verify could not run: sudo refused (sudo: a password is required)' },
    },
  ])('$name', ({ run, expected }) => {
    expect(judgeVerify(run, 30)).toEqual(expected);
  });
});
