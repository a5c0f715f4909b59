// One authenticated SSH connection to one host. Commands run one channel each,
// so the same session serves capture, apply, verify and health checks of a host.
import { performance } from 'node:perf_hooks';
import type { Client, ClientChannel } from 'ssh2';
import { becomeCommand, becomeModeOf, becomePasswordLine, type Become } from './core/become-command';
import { OutputTail } from './core/output-tail';
import { runSequence, type SequenceCommand, type SequenceOptions, type SequenceOutcome } from './sequence-channel';
import { SshConnectionError, SshEndpoint } from './ssh.errors';

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/** After a timeout: how long to wait for the server to confirm the channel closed. */
const KILL_GRACE_MS = 2_000;
/** Under `become`: how long sudo gets to relay SIGTERM to the root command before SIGKILL. */
const BECOME_TERM_GRACE_MS = 500;

export type OutputStream = 'stdout' | 'stderr';

export interface ExecOptions {
  /** Required: every remote command runs with a deadline. */
  timeoutMs: number;
  /** Per stream; the last bytes are kept. Default 64 KiB. */
  maxOutputBytes?: number;
  /**
   * A stream passing maxOutputBytes ends the command (killed, `overflowed`):
   * for output that is only useful whole (a package inventory), so a host
   * printing without end holds at most the limit in memory, not twice it
   * for as long as the command's deadline.
   */
  stopAtLimit?: boolean;
  /** Live output, e.g. for task event streams. Called with every raw chunk. */
  onOutput?: (stream: OutputStream, chunk: Buffer) => void;
  /** Ends the command early, as a timeout does (the result says `timedOut`). */
  signal?: AbortSignal;
  /** The command's stdin, once its channel is open (left open unless `end` is called). */
  onStdin?: (stdin: { write(text: string): void; end(): void }) => void;
}

export interface ExecResult {
  /** Null when the command was killed by a signal, timed out, or its status never arrived. */
  exitCode: number | null;
  /** Signal name as Node spells it (`SIGTERM`) when the command died of one. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /**
   * The kept stdout bytes exactly as the host sent them (`stdout` is their
   * UTF-8 reading, NUL shown as U+FFFD): what a captured value is made of.
   */
  stdoutBytes: Buffer;
  /** How many bytes the command printed on stdout, kept or not. */
  stdoutTotalBytes: number;
  /** True when stdout or stderr exceeded maxOutputBytes and only the tail is kept. */
  truncated: boolean;
  /** True when `stopAtLimit` ended the command because its output passed the limit. */
  overflowed?: boolean;
  timedOut: boolean;
  durationMs: number;
}

export class SshSession {
  private closedReason: Error | undefined;
  private readonly closedPromise: Promise<void>;
  /** Commands in flight, told when the connection goes (one client listener for all of them). */
  private readonly onClose = new Set<() => void>();
  /** Under `become` with a password: the first stdin line of every channel (a secret). */
  private readonly passwordLine: string | undefined;

  constructor(
    private readonly client: Client,
    readonly endpoint: SshEndpoint,
    /** The verified host key, as an OpenSSH line. */
    readonly hostKey: string,
    readonly hostKeyFingerprint: string,
    /**
     * Every command of this session (exec, sequences, resident shells) runs as
     * root through sudo (see core/become-command.ts). Never logged.
     */
    private readonly become?: Become,
  ) {
    this.passwordLine = become?.password === undefined ? undefined : becomePasswordLine(become.password);
    this.closedPromise = new Promise((resolve) => {
      client.once('close', () => {
        this.closedReason ??= new SshConnectionError('network', endpoint, 'connection closed');
        for (const notify of [...this.onClose]) notify();
        resolve();
      });
    });
    client.on('error', (err: Error) => {
      this.closedReason = new SshConnectionError('network', endpoint, `connection failed: ${err.message}`, {
        cause: err,
      });
    });
  }

  /** True when this session's commands run as root through sudo. */
  get runsAsRoot(): boolean {
    return this.become !== undefined;
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  /**
   * Runs `command` through the remote user's shell, or under `become` as
   * `sudo … /bin/sh -c '<command>'`. The command string goes to the server as
   * is: callers quote every value they interpolate. Under `become`, a command
   * sudo did not run (refused) exits BECOME_REFUSED_EXIT with
   * BECOME_REFUSED_MARKER on stderr.
   *
   * Resolves with the outcome for any exit, signal or timeout. Rejects with
   * SshConnectionError only when the connection is gone, before or during the
   * command, and the outcome is unknown.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const { timeoutMs, onOutput } = options;
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`));
    }
    if (this.closedReason) return Promise.reject(this.closedReason);
    let remote: string;
    try {
      remote = this.become ? becomeCommand(command, becomeModeOf(this.become)) : command;
    } catch (error) {
      return Promise.reject(error as Error);
    }

    const started = performance.now();
    const stdout = new OutputTail(maxOutputBytes);
    const stderr = new OutputTail(maxOutputBytes);

    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let exitCode: number | null = null;
      let signal: string | null = null;
      let sawExit = false;
      let timedOut = false;
      let overflowed = false;
      let settled = false;
      let graceTimer: NodeJS.Timeout | undefined;

      const finish = (failure?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearTimeout(graceTimer);
        options.signal?.removeEventListener('abort', stop);
        this.onClose.delete(onConnectionClosed);
        if (failure) {
          reject(failure);
          return;
        }
        resolve({
          exitCode,
          signal,
          stdout: stdout.text(),
          stderr: stderr.text(),
          stdoutBytes: stdout.bytes(),
          stdoutTotalBytes: stdout.totalBytes,
          truncated: stdout.truncated || stderr.truncated,
          ...(overflowed ? { overflowed } : {}),
          timedOut,
          durationMs: Math.round(performance.now() - started),
        });
      };

      const onConnectionClosed = (): void => {
        if (timedOut || overflowed || sawExit) finish();
        else finish(this.closedReason ?? new SshConnectionError('network', this.endpoint, 'connection closed'));
      };
      this.onClose.add(onConnectionClosed);

      const stop = (): void => {
        if (timedOut || overflowed || settled) return;
        timedOut = true;
        end();
      };
      const overflow = (): void => {
        if (overflowed || timedOut || settled) return;
        overflowed = true;
        end();
      };
      const end = (): void => {
        if (!channel) return; // the channel callback sees timedOut and closes it
        kill(channel);
      };
      const kill = (target: ClientChannel): void => {
        // A server that never confirms the close must not hang the caller.
        graceTimer = setTimeout(() => finish(), KILL_GRACE_MS + (this.become ? BECOME_TERM_GRACE_MS : 0));
        if (!this.become) return killChannel(target);
        // SIGKILL from the login user reaches neither sudo's root command nor
        // its children; SIGTERM is relayed by sudo to the root shell, which
        // kills its process group (core/become-command.ts).
        signalChannel(target, 'TERM');
        const hard = setTimeout(() => killChannel(target), BECOME_TERM_GRACE_MS);
        target.once('close', () => clearTimeout(hard));
      };
      const deadline = setTimeout(stop, timeoutMs);
      options.signal?.addEventListener('abort', stop, { once: true });

      try {
        this.client.exec(remote, (err, opened) => {
          if (err) {
            finish(
              this.closedReason ??
                new SshConnectionError('network', this.endpoint, `could not open a session channel: ${err.message}`, {
                  cause: err,
                }),
            );
            return;
          }
          channel = opened;
          // Before anything else on stdin: the wrapper reads this one line first.
          if (this.passwordLine !== undefined) opened.write(this.passwordLine);
          options.onStdin?.({
            write: (text) => {
              if (!settled) opened.write(text);
            },
            end: () => {
              if (!settled) opened.end();
            },
          });
          if (settled || timedOut || overflowed) {
            if (settled) killChannel(opened);
            else kill(opened);
          }
          opened.on('data', (chunk: Buffer) => {
            if (overflowed) return;
            stdout.push(chunk);
            onOutput?.('stdout', chunk);
            if (options.stopAtLimit && stdout.truncated) overflow();
          });
          opened.stderr.on('data', (chunk: Buffer) => {
            if (overflowed) return;
            stderr.push(chunk);
            onOutput?.('stderr', chunk);
            if (options.stopAtLimit && stderr.truncated) overflow();
          });
          opened.on('exit', (code: number | null, signalName?: string) => {
            sawExit = true;
            if (typeof code === 'number') exitCode = code;
            if (typeof signalName === 'string') signal = signalName;
          });
          opened.on('close', () => finish());
        });
      } catch (err: unknown) {
        // ssh2 throws synchronously when the connection is no longer writable.
        finish(
          this.closedReason ??
            new SshConnectionError('network', this.endpoint, `could not start command: ${(err as Error).message}`, {
              cause: err,
            }),
        );
      }
    });
  }

  /**
   * Runs `commands` one after the other in ONE channel (one session and shell
   * on the host instead of one each), stopping at the first that does not exit
   * 0. Each command keeps its own exit status, bounded output and deadline: a
   * command past its deadline is killed with the rest of the sequence. Resolves
   * with a result for each command that started; the last one is the failure,
   * if any. Rejects like `exec` when the connection is gone. Commands run in
   * POSIX-shell subshells of the remote user's shell, or under `become` of a
   * root `/bin/sh` (the gate and the resident shell too; see command-sequence.ts).
   */
  async execSequence(commands: readonly SequenceCommand[], options: Omit<SequenceOptions, 'resident'> = {}): Promise<ExecResult[]> {
    return (await this.startSequence(commands, options)).results;
  }

  /**
   * `execSequence`, and with `options.resident`, a shell left on the host once
   * every command passed, to run those commands again cheaply. It ends with
   * the connection or `ResidentShell.close()`.
   */
  startSequence(commands: readonly SequenceCommand[], options: SequenceOptions = {}): Promise<SequenceOutcome> {
    return runSequence((command, execOptions) => this.exec(command, execOptions), commands, {
      ...options,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    });
  }

  /** Ends the connection; resolves once the socket is closed. Idempotent. */
  async close(): Promise<void> {
    if (this.isOpen) {
      this.closedReason = new SshConnectionError('network', this.endpoint, 'session closed by caller');
      this.client.end();
    }
    await this.closedPromise;
  }
}

/**
 * OpenSSH (≥ 7.9) delivers a channel `signal` request as killpg() on the
 * session's process group, which takes down the command's children too.
 * Closing the channel afterwards covers servers that ignore signals.
 */
function killChannel(channel: ClientChannel): void {
  signalChannel(channel, 'KILL');
  try {
    channel.close();
  } catch {
    // Already closed.
  }
}

function signalChannel(channel: ClientChannel, signal: 'TERM' | 'KILL'): void {
  try {
    channel.signal(signal);
  } catch {
    // Not writable any more: closing is all that is left to do.
  }
}
