import { execFileSync } from 'node:child_process';
import { BECOME_REFUSED_EXIT, becomeCommand, becomeModeOf, becomePasswordLine, becomePasswordLineProblem } from './become-command';

/** Runs a wrapper under /bin/sh with `sudo` replaced by a fake that records its arguments and runs the rest. */
function runWithFakeSudo(script: string, stdin: string): { stdout: string; status: number } {
  // The fake sudo drops its options up to `--`, then runs the command as the current user.
  const fake = `sudo() { while [ "$1" != -- ]; do shift; done; shift; "$@"; }\n`;
  try {
    const stdout = execFileSync('/bin/sh', ['-c', fake + script], { input: stdin, encoding: 'utf8', stdio: 'pipe' });
    return { stdout, status: 0 };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { stdout: failed.stdout, status: failed.status };
  }
}

describe('becomeCommand', () => {
  it.each<{ name: string; command: string }>([
    { name: 'single quotes', command: `printf '%s\\n' 'it'"'"'s'` },
    { name: 'a captured value set inside the command', command: `v='$(touch /tmp/x) ; rm -rf /'; printf '%s\\n' "$v"` },
    { name: 'several lines and a here-document', command: `cat <<'END'\na 'b' "c" $d\nEND` },
    { name: 'a backslash at the end of a line', command: `echo one \\\ntwo` },
  ])('hands the command to the root shell as written: $name', ({ command }) => {
    const direct = execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    for (const mode of ['nopasswd', 'password'] as const) {
      const { stdout, status } = runWithFakeSudo(becomeCommand(command, mode), mode === 'password' ? 'pw\n' : '');
      expect({ mode, stdout, status }).toEqual({ mode, stdout: direct, status: 0 });
    }
  });

  it('keeps the command exit status', () => {
    expect(runWithFakeSudo(becomeCommand('exit 3', 'nopasswd'), '').status).toBe(3);
    expect(runWithFakeSudo(becomeCommand('exit 1', 'password'), 'pw\n').status).toBe(1);
  });

  it('gives the root command the rest of stdin, after the password line', () => {
    expect(runWithFakeSudo(becomeCommand('cat', 'password'), 'secret pw\ngo\n').stdout).toBe('go\n');
    expect(runWithFakeSudo(becomeCommand('cat', 'nopasswd'), 'go\n').stdout).toBe('go\n');
  });

  it("reports a sudo that did not run the command with its own status, never the command's", () => {
    const refusing = (script: string) => script.replace(/sudo (-n|-A -k -p '')/, 'false');
    expect(runWithFakeSudo(refusing(becomeCommand('exit 0', 'nopasswd')), '').status).toBe(BECOME_REFUSED_EXIT);
    expect(runWithFakeSudo(refusing(becomeCommand('exit 0', 'password')), 'pw\n').status).toBe(BECOME_REFUSED_EXIT);
  });

  it('never prompts in NOPASSWD mode and never keeps cached credentials in password mode', () => {
    expect(becomeCommand('id -u', 'nopasswd')).toContain('sudo -n -- /bin/sh -c ');
    expect(becomeCommand('id -u', 'password')).toContain(`sudo -A -k -p '' -- /bin/sh -c `);
  });

  it('refuses a command holding a NUL byte', () => {
    expect(() => becomeCommand('echo a\0b', 'nopasswd')).toThrow(RangeError);
  });
});

describe('the become password', () => {
  it('goes on stdin as one line and never into the command text', () => {
    const password = `p'a"s$s w\\ord`;
    expect(becomePasswordLine(password)).toBe(`${password}\n`);
    expect(becomeCommand('id -u', becomeModeOf({ method: 'sudo', password }))).not.toContain(password);
    expect(becomeModeOf({ method: 'sudo' })).toBe('nopasswd');
  });

  it.each<{ name: string; password: string; problem: string | null }>([
    { name: 'an ordinary password', password: 'correct horse', problem: null },
    { name: 'empty', password: '', problem: 'must not be empty' },
    { name: 'a newline (would end the line early)', password: 'a\nb', problem: 'must not contain NUL, CR or LF' },
    { name: 'a carriage return', password: 'a\rb', problem: 'must not contain NUL, CR or LF' },
    { name: 'a NUL byte', password: 'a\0b', problem: 'must not contain NUL, CR or LF' },
    { name: '1024 bytes', password: 'é'.repeat(512), problem: null },
    { name: 'over 1024 bytes', password: `${'é'.repeat(512)}x`, problem: 'must be at most 1024 bytes' },
  ])('is checked: $name', ({ password, problem }) => {
    expect(becomePasswordLineProblem(password)).toBe(problem);
    if (problem) expect(() => becomePasswordLine(password)).toThrow(RangeError);
  });
});
