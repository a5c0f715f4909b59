// Running a host's commands as root through sudo (a credential's `become`).
//
// The command text is handed to `sudo … -- /bin/sh -c '<script>'`, single-quoted
// whole, so whatever it holds (captured values are set inside it) reaches the
// root shell as written. Two modes:
//
// - NOPASSWD: `sudo -n` (never a prompt that would hang a command without a tty).
// - Password: the password is never on a command line, in a file, in the root
//   command's environment or in this text. The client writes it as the
//   channel's FIRST stdin line, as soon as the channel opens; the login shell
//   reads that one line into a shell variable and hands it to sudo only in the
//   environment of sudo's askpass helper (`sudo -A`): a script in a fresh
//   `mktemp -d` directory, mode 0700, holding no secret, that prints the
//   variable once (a second call, after a wrong password, fails, so sudo gives
//   up after one try instead of three). sudo's `env_reset` keeps the variable
//   out of the root command's environment. `-k` ignores cached sudo
//   credentials, so the stored password is checked on every command. The rest
//   of the channel's stdin (the write-ahead gate's `go`, a resident shell's
//   requests) is the root command's stdin.
//
// Telling a refusal from the command's own status: sudo exits 1 when it does
// not run the command (wrong password, not in sudoers, a password required),
// which a command (a verify) may exit with too. So the root shell's first act
// is to remove the temporary directory; if it is still there when sudo
// returns, sudo never ran the command: the wrapper prints
// BECOME_REFUSED_MARKER on stderr and exits BECOME_REFUSED_EXIT (126, "could
// not run", never read as a verify verdict).
//
// Deadlines: the channel's signal reaches the login user's processes only
// (OpenSSH sends it with killpg as that user; root processes are out of
// reach), and sudo cannot relay SIGKILL. So a become session sends SIGTERM
// first: sudo relays it to the root shell, which runs the command in the
// background and, on TERM or HUP, SIGKILLs its whole process group (the
// command and its children, sudo, the login shell).
import { quoteShellArg } from './shell-quote';

/** How sudo gets its authorization: no password (`NOPASSWD` in sudoers), or a password on stdin. */
export type BecomeMode = 'nopasswd' | 'password';

/** A credential's `become`, as the SSH layer uses it. The password is a secret: never log it. */
export interface Become {
  method: 'sudo';
  password?: string;
}

/** The status of a wrapped command that sudo did not run (refused, or could not start it). */
export const BECOME_REFUSED_EXIT = 126;
/** Starts the stderr line a wrapped command prints when sudo did not run it. */
export const BECOME_REFUSED_MARKER = 'vulnzero-become: sudo did not run the command';
/** What the askpass helper reads the password from (its environment only). */
const PASSWORD_VARIABLE = 'VZ_BECOME_PASSWORD';

export function becomeModeOf(become: Become): BecomeMode {
  return become.password === undefined ? 'nopasswd' : 'password';
}

/** Why a sudo password cannot go on the channel's stdin as one line, or null. Never quotes the value. */
export function becomePasswordLineProblem(password: string): string | null {
  if (password.length === 0) return 'must not be empty';
  if (/[\0\r\n]/.test(password)) return 'must not contain NUL, CR or LF';
  if (Buffer.byteLength(password, 'utf8') > 1024) return 'must be at most 1024 bytes';
  return null;
}

/** The first line the client writes on a password-mode channel. */
export function becomePasswordLine(password: string): string {
  const problem = becomePasswordLineProblem(password);
  if (problem) throw new RangeError(`become password ${problem}`);
  return `${password}\n`;
}

/**
 * The root shell's script: removes the marker directory (`$1`: proof that
 * sudo ran it), then runs `command` in the background with the channel's
 * stdin, killing its process group when sudo relays TERM or HUP (a shell
 * waiting for a foreground command would run its trap only afterwards).
 */
function rootScript(command: string): string {
  return [
    `rm -rf -- "$1" || exit ${BECOME_REFUSED_EXIT}`,
    'shift',
    'exec 3<&0',
    `trap 'kill -KILL 0' TERM HUP`,
    // An asynchronous list's stdin is /dev/null unless redirected: give it the channel's.
    `{ eval ${quoteShellArg(command)}`,
    '} <&3 3<&- &',
    'wait "$!"',
  ].join('\n');
}

/** The askpass helper's lines: prints the password from its environment, once. */
const ASKPASS_LINES = ['#!/bin/sh', '[ -e "${0%/*}/used" ] && exit 1', ': >"${0%/*}/used"', `printf '%s\\n' "$${PASSWORD_VARIABLE}"`];

/**
 * Shell text for the login user's shell that runs `command` as root through
 * sudo. Holds no secret: in `password` mode the password is the first line of
 * the channel's stdin, which the caller writes as soon as the channel opens.
 * Throws RangeError for a command holding a NUL byte (no shell word can).
 */
export function becomeCommand(command: string, mode: BecomeMode): string {
  const sudo = mode === 'nopasswd' ? 'sudo -n' : `${PASSWORD_VARIABLE}=$vz_pw SUDO_ASKPASS="$vz_d/askpass" sudo -A -k -p ''`;
  const refused = quoteShellArg(
    `${BECOME_REFUSED_MARKER} (sudo exited %s): not allowed by sudoers, a wrong or missing password, or sudo could not start it\\n`,
  );
  return [
    ...(mode === 'password'
      ? [
          `IFS= read -r vz_pw || { printf '%s\\n' ${quoteShellArg(`${BECOME_REFUSED_MARKER}: no password line on stdin`)} >&2; exit ${BECOME_REFUSED_EXIT}; }`,
        ]
      : []),
    `vz_d=$(mktemp -d) || exit ${BECOME_REFUSED_EXIT}`,
    ...(mode === 'password'
      ? [
          `printf '%s\\n' ${ASKPASS_LINES.map(quoteShellArg).join(' ')} >"$vz_d/askpass" && chmod 700 "$vz_d/askpass" || { rm -rf -- "$vz_d"; exit ${BECOME_REFUSED_EXIT}; }`,
        ]
      : []),
    `${sudo} -- /bin/sh -c ${quoteShellArg(rootScript(command))} vz-become "$vz_d"`,
    'vz_s=$?',
    `if [ -e "$vz_d" ]; then rm -rf -- "$vz_d"; printf ${refused} "$vz_s" >&2; exit ${BECOME_REFUSED_EXIT}; fi`,
    'exit "$vz_s"',
  ].join('\n');
}
