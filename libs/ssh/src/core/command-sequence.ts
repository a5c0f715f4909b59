// Several commands in one SSH channel, each still with its own exit status,
// output and deadline. Each exec channel costs the host a new session and a
// shell; a host's apply, verify and first health check in one channel is a
// third of the work. Each command runs isolated: parsed on its own (a syntax
// error fails that command only), in a subshell (its `exit`, `cd` and
// variables stay its own), with stdin from /dev/null (the channel's stdin is
// the client's: gate and resident requests). After each one the script prints a marker line with
// a per-sequence random boundary on stdout (with the status) and on stderr,
// and stops at the first command that fails. A sequence can also wait at a
// gate for the client's go-ahead (read from stdin) before a given command, and
// leave a resident shell behind that runs some commands again on request
// (a step's health re-checks) without a new channel and shell each time.
//
// The isolation costs the host a fork per command, and with `( eval '…' )` a
// second one: bash runs an external command at the end of a subshell in the
// subshell's own process, but not through `eval`. So where the login shell is
// bash outside POSIX mode (where `eval` of a syntax error returns 2 and the
// script goes on), a one-line command that cannot close the subshell early or
// read past it (no `)`, no here-document, no trailing backslash, not a comment
// alone) runs as `eval '( <command>\n)'` instead: the same
// isolation, one process fewer for `cat …`, `grep …` or `a && b`'s last
// command. Any other shell, or command, keeps `( eval '…' )`.
import { quoteShellArg } from './shell-quote';

/** True where the script's shell is bash outside POSIX mode (set by its first line). */
const FAST_SHELL_TEST = `case "\${BASH_VERSION-}:\${SHELLOPTS-}" in :*|*posix*) vz_fast= ;; *) vz_fast=1 ;; esac`;

/**
 * The command can go inside `( … )` as it is and mean the same: one line (a
 * multi-line command is parsed whole before any of it runs, unlike under
 * `eval`, which runs line by line), no `)` to close the subshell with, no
 * here-document (one without its end line is a syntax error inside the
 * parentheses), no trailing line continuation, and a command at all (a
 * comment alone would leave the parentheses empty).
 */
function fitsInParentheses(command: string): boolean {
  const text = command.trim();
  return text !== '' && !text.startsWith('#') && !/[)\n]|<</.test(command) && !text.endsWith('\\');
}

/** Shell text that runs `command` isolated (see above), stdin from /dev/null; its status is the command's. */
export function isolatedCommand(command: string): string {
  const slow = `( eval ${quoteShellArg(command)} )`;
  if (!fitsInParentheses(command)) return `${slow} </dev/null`;
  return `if [ -n "$vz_fast" ]; then eval ${quoteShellArg(`( ${command}\n)`)}; else ${slow}; fi </dev/null`;
}

/**
 * The script run in the channel; `boundary` must be unguessable by the
 * commands' output (random). With `gateBefore`, the script stops before that
 * command and reads one line from the channel's stdin: only `go` lets it go on;
 * anything else, or end of input (the client went away), ends it there.
 */
export function sequenceScript(commands: readonly string[], boundary: string, gateBefore?: number, resident?: readonly string[]): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(boundary)) throw new RangeError('boundary must be 16+ characters of [A-Za-z0-9_-]');
  const lines = commands.map(
    (command, index) =>
      (index === gateBefore ? `IFS= read -r vz_go || exit 0; [ "$vz_go" = go ] || exit 0\n` : '') +
      `${isolatedCommand(command)}; vz_s=$?; ` +
      `printf '\\n%s %s\\n' '${boundary}:${index}' "$vz_s"; printf '\\n%s\\n' '${boundary}:${index}' >&2; ` +
      `[ "$vz_s" -eq 0 ] || exit 0`,
  );
  if (resident && resident.length > 0) {
    // The resident shell: each line on stdin names a resident command by index;
    // its markers carry on numbering after the sequence's. Anything else, or end
    // of input, ends the shell.
    lines.push(
      `vz_n=${commands.length}`,
      'while IFS= read -r vz_req; do',
      '  case "$vz_req" in',
      ...resident.map((command, index) => `    ${index}) ${isolatedCommand(command)} ;;`),
      '    *) exit 0 ;;',
      '  esac',
      '  vz_s=$?',
      `  printf '\\n%s %s\\n' "${boundary}:$vz_n" "$vz_s"; printf '\\n%s\\n' "${boundary}:$vz_n" >&2`,
      '  vz_n=$((vz_n + 1))',
      'done',
    );
  }
  return [FAST_SHELL_TEST, ...lines].join('\n');
}

/**
 * Splits one output stream of a sequence at its marker lines. Bytes before a
 * marker belong to the command it closes (the newline the script prints before
 * the marker is not theirs); `onMarker` gets the index and what follows it on
 * the line (the exit status, on stdout). Holds back only a possible partial
 * marker between chunks.
 */
export class SequenceStreamSplitter {
  private readonly prefix: Buffer;
  private carry: Buffer = Buffer.alloc(0);
  private current = 0;

  constructor(
    boundary: string,
    private readonly onSegment: (index: number, chunk: Buffer) => void,
    private readonly onMarker: (index: number, rest: string) => void,
  ) {
    this.prefix = Buffer.from(`\n${boundary}:`);
  }

  /** The command whose output comes next. */
  get index(): number {
    return this.current;
  }

  push(chunk: Buffer): void {
    let data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    for (;;) {
      const at = data.indexOf(this.prefix);
      if (at < 0) {
        // Keep back what could be the start of a marker split across chunks.
        const keep = Math.min(data.length, this.prefix.length - 1);
        let cut = data.length - keep;
        const partial = data.subarray(cut);
        const first = partial.indexOf(0x0a);
        cut = first < 0 ? data.length : cut + first;
        this.emit(data.subarray(0, cut));
        this.carry = Buffer.from(data.subarray(cut));
        return;
      }
      const end = data.indexOf(0x0a, at + this.prefix.length);
      if (end < 0) {
        this.emit(data.subarray(0, at));
        this.carry = Buffer.from(data.subarray(at));
        return;
      }
      this.emit(data.subarray(0, at));
      const line = data.subarray(at + this.prefix.length, end).toString('utf8');
      const space = line.indexOf(' ');
      const index = Number(space < 0 ? line : line.slice(0, space));
      const rest = space < 0 ? '' : line.slice(space + 1);
      if (index === this.current) {
        this.onMarker(index, rest);
        this.current += 1;
      } else {
        // Not this sequence's next marker: it is output.
        this.emit(data.subarray(at, end + 1));
      }
      data = data.subarray(end + 1);
    }
  }

  /** The stream ended: whatever was held back belongs to the current command. */
  end(): void {
    this.emit(this.carry);
    this.carry = Buffer.alloc(0);
  }

  private emit(bytes: Buffer): void {
    if (bytes.length > 0) this.onSegment(this.current, bytes);
  }
}
