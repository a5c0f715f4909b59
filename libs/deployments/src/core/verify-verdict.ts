// What a `verify` run proves. verify exits 0 when the change is in place; after
// a rollback it must fail. But "did not exit 0" is not proof that the change is
// gone: a verify that timed out, was killed, could not run (126: not
// executable, 127: not found), lost its connection (255, or no status at all)
// or was refused by sudo says nothing about the host. Only a run to
// completion with a status of 1–125 is an answer of "not in place".

/** The parts of a command's record a verdict depends on. */
export interface VerifyRun {
  exitCode: number | null;
  timedOut: boolean;
  stderr: string;
}

export type VerifyVerdict =
  /** Ran to completion, exit 0: the change is in place. */
  | { kind: 'present' }
  /** Ran to completion, exit 1–125: the change is not in place. */
  | { kind: 'absent'; exitCode: number }
  /** Proves nothing either way, and why. */
  | { kind: 'unknown'; reason: string };

const SUDO_REFUSAL =
  /^sudo: .*(password is required|not in the sudoers|not allowed to|incorrect password|no tty present|a terminal is required|unable to)/im;

function lastStderrLine(stderr: string): string {
  const line = stderr.trim().split('\n').pop() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export function judgeVerify(run: VerifyRun, timeoutSeconds: number): VerifyVerdict {
  if (run.timedOut) return { kind: 'unknown', reason: `verify did not finish in ${timeoutSeconds} s` };
  const code = run.exitCode;
  if (code === null) return { kind: 'unknown', reason: 'verify ended without an exit status (killed, or the connection was lost)' };
  if (code === 0) return { kind: 'present' };
  const detail = lastStderrLine(run.stderr);
  if (code === 126 || code === 127) {
    return { kind: 'unknown', reason: `verify could not run: exit ${code}${detail ? ` (${detail})` : ''}` };
  }
  if (code === 255)
    return { kind: 'unknown', reason: `verify lost its connection or could not start (exit 255)${detail ? ` (${detail})` : ''}` };
  if (code > 125) return { kind: 'unknown', reason: `verify was killed (exit ${code}${code > 128 ? `, signal ${code - 128}` : ''})` };
  const sudo = SUDO_REFUSAL.exec(run.stderr);
  if (sudo) return { kind: 'unknown', reason: `verify could not run: sudo refused (${sudo[0].trim().slice(0, 200)})` };
  return { kind: 'absent', exitCode: code };
}
