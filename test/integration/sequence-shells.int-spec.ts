// The sequence script under the shells a host's login shell may be: bash (the
// fleet's), bash in POSIX mode and dash. Each command stays isolated in all of
// them; bash outside POSIX mode runs a command without `)` in one process fewer.
import { execFile } from 'node:child_process';
import { SequenceStreamSplitter, sequenceScript } from '../../libs/ssh/src/core/command-sequence';

const BOUNDARY = 'vz-shells-0123456789abcdef';

interface Outcome {
  stdout: string[];
  statuses: string[];
}

function runScript(shell: string[], commands: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const stdout: string[] = [];
    const statuses: string[] = [];
    const splitter = new SequenceStreamSplitter(
      BOUNDARY,
      (index, chunk) => (stdout[index] = (stdout[index] ?? '') + chunk.toString('utf8')),
      (_index, rest) => statuses.push(rest),
    );
    // `sh-bash`: bash started under the name sh, which puts it in POSIX mode.
    const [file, ...args] = shell[0] === 'sh-bash' ? ['bash'] : (shell as [string, ...string[]]);
    const argv0 = shell[0] === 'sh-bash' ? { argv0: 'sh' } : {};
    const child = execFile(file, [...args, '-c', sequenceScript(commands, BOUNDARY)], { cwd, encoding: 'buffer', ...argv0 }, (error) => {
      if (error && error.code !== 0) reject(error);
      else {
        splitter.end();
        resolve({ stdout, statuses });
      }
    });
    child.stdout?.on('data', (chunk: Buffer) => splitter.push(chunk));
  });
}

const SHELLS: [string, string[]][] = [
  ['bash', ['bash']],
  ['bash --posix', ['bash', '--posix']],
  ['bash as sh', ['sh-bash']],
  ['dash', ['dash']],
];

describe.each(SHELLS)('the sequence script under %s', (_name, shell) => {
  it("keeps each command's cd, variables and exit its own, and stops at the first that fails", async () => {
    const outcome = await runScript(
      shell,
      ['cd /tmp && X=set && echo in', 'pwd; echo "${X-unset}"', 'sh -c "exit 0"', 'exit 3', 'echo never'],
      '/',
    );
    expect(outcome.statuses).toEqual(['0', '0', '0', '3']);
    expect(outcome.stdout[0]).toBe('in\n');
    expect(outcome.stdout[1]).toBe('/\nunset\n');
    expect(outcome.stdout[4]).toBeUndefined();
  });

  it('fails only the command with a syntax error, with or without a `)` in it', async () => {
    for (const broken of ['if then', 'echo ) (']) {
      const outcome = await runScript(shell, ['echo before', broken, 'echo after'], '/');
      expect(outcome.statuses).toEqual(['0', '2']);
      expect(outcome.stdout[0]).toBe('before\n');
      expect(outcome.stdout[2]).toBeUndefined();
    }
  });

  it('runs a comment alone, and a here-document without its end line, as eval would (status 0)', async () => {
    const outcome = await runScript(shell, ['# nothing to undo', 'cat <<EOF\nno end line', 'echo after'], '/');
    expect(outcome.statuses).toEqual(['0', '0', '0']);
    // dash leaves out the newline of the last line when the end line is missing.
    expect(outcome.stdout[1]).toMatch(/^no end line\n?$/);
    expect(outcome.stdout[2]).toBe('after\n');
  });

  it("gives each command /dev/null as stdin, not the channel's", async () => {
    const outcome = await runScript(shell, ['cat', 'read -r line; echo "read: $?"'], '/');
    expect(outcome.statuses).toEqual(['0', '0']);
    expect(outcome.stdout).toEqual([undefined, 'read: 1\n']);
  });

  it('runs heredocs, comments and quotes as written', async () => {
    const outcome = await runScript(shell, [`cat <<'EOF'\n$HOME 'q'\nEOF`, `echo "a'b" # a comment`, 'echo $((1 + 2))'], '/');
    expect(outcome.statuses).toEqual(['0', '0', '0']);
    expect(outcome.stdout).toEqual(["$HOME 'q'\n", "a'b\n", '3\n']);
  });
});

describe('the sequence script under bash outside POSIX mode', () => {
  it('runs the last command of a command without `)` in the subshell itself (no second fork)', async () => {
    // The subshell's pid is $BASHPID inside it; a program run at its end without a
    // fork of its own has the main shell as its parent.
    const outcome = await runScript(['bash'], ["echo $$; sh -c 'echo $PPID'", 'echo $$; sh -c "echo \\$PPID"; true'], '/');
    const [main, parent] = (outcome.stdout[0] ?? '').trim().split('\n');
    expect(parent).toBe(main);
    const [main2, parent2] = (outcome.stdout[1] ?? '').trim().split('\n');
    expect(parent2).not.toBe(main2);
  });
});
