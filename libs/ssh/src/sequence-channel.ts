// The client side of command-sequence.ts: one channel running several
// commands, told apart by marker lines, each with its own deadline; optionally
// a gate before one of them, and a resident shell kept after them.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SequenceStreamSplitter, sequenceScript } from './core/command-sequence';
import { OutputTail } from './core/output-tail';
import type { ExecOptions, ExecResult, OutputStream } from './ssh-session';

/** After a kill: how long the channel gets to close before the caller is answered anyway. */
const KILL_GRACE_MS = 2_000;

export interface SequenceCommand {
  command: string;
  /** This command's own deadline, counted from when it starts. */
  timeoutMs: number;
}

export interface SequenceOptions {
  /** Per command and stream; the last bytes are kept. Default 64 KiB. */
  maxOutputBytes?: number;
  /** Command `index` starts (the previous one exited 0). */
  onStart?: (index: number) => void;
  /** Live output of command `index`. */
  onOutput?: (index: number, stream: OutputStream, chunk: Buffer) => void;
  /**
   * Holds the sequence before command `before` until `proceed` resolves true
   * (say, once something about the commands so far is committed elsewhere).
   * False, a rejection, or a lost connection end it there: the commands from
   * `before` on never start. `proceed` gets the results so far.
   */
  gate?: { before: number; proceed: (results: ExecResult[]) => Promise<boolean> };
  /**
   * Commands the channel keeps ready once every command of the sequence exited
   * 0: its shell stays, and `ResidentShell.run(i)` runs `resident[i]` again in
   * it, without a new channel or shell on the host.
   */
  resident?: readonly string[];
}

/** Thrown by `ResidentShell.run` when the shell is gone (killed, closed): run the command another way. */
export class ResidentShellGoneError extends Error {
  constructor() {
    super('the resident shell is gone');
    this.name = 'ResidentShellGoneError';
  }
}

/** A shell left on the host by a sequence, ready to run its resident commands again. */
export interface ResidentShell {
  readonly alive: boolean;
  /** The resident commands, by index. */
  readonly commands: readonly string[];
  /** Runs `commands[index]` with a deadline; one at a time (calls queue). */
  run(index: number, timeoutMs: number): Promise<ExecResult>;
  /** Ends the shell (its channel); the connection stays. */
  close(): void;
}

export interface SequenceOutcome {
  /** One per command that started; the last one is the failure, if any. */
  results: ExecResult[];
  /** Present when `resident` was asked for and every command exited 0. */
  resident?: ResidentShell;
}

interface Run {
  stdout: OutputTail;
  stderr: OutputTail;
  started: number;
  ended: number;
  exitCode: number | null;
  timedOut: boolean;
  stderrDone: boolean;
  /** Settles a resident request when both of its markers are in. */
  onDone?: () => void;
}

type Exec = (command: string, options: ExecOptions) => Promise<ExecResult>;

function checkTimeout(timeoutMs: number): void {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
}

/** See SshSession.startSequence. `maxOutputBytes` is required here (the session gives its default). */
export async function runSequence(
  exec: Exec,
  commands: readonly SequenceCommand[],
  options: SequenceOptions & { maxOutputBytes: number },
): Promise<SequenceOutcome> {
  if (commands.length === 0) return { results: [] };
  for (const { timeoutMs } of commands) checkTimeout(timeoutMs);
  if (options.gate?.before === 0) {
    // Nothing to hold back but the first command: ask before opening the channel.
    const { gate, ...rest } = options;
    return (await gate.proceed([])) ? runSequence(exec, commands, rest) : { results: [] };
  }
  const maxOutputBytes = options.maxOutputBytes;
  const boundary = `vz-${randomBytes(12).toString('hex')}`;
  const newRun = (): Run => ({
    stdout: new OutputTail(maxOutputBytes),
    stderr: new OutputTail(maxOutputBytes),
    started: 0,
    ended: 0,
    exitCode: null,
    timedOut: false,
    stderrDone: false,
  });
  const runs: Run[] = commands.map(newRun);
  const killer = new AbortController();
  const gate = options.gate;
  const resident = options.resident && options.resident.length > 0 ? options.resident : undefined;
  let gateError: unknown;
  let stdin: { write(text: string): void; end(): void } | undefined;
  let over = false;
  let channel: ExecResult | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let started = -1;
  let sequenceDone: (() => void) | undefined;

  /** A command's result; `channel` is the whole channel's outcome once it is over. */
  const resultOf = (run: Run): ExecResult => {
    // No marker: the command was killed, or the shell could not run the script
    // (the status is then the channel's, unless that says success).
    const sawMarker = run.ended > 0;
    const timedOut = !sawMarker && (run.timedOut || channel?.timedOut === true);
    return {
      exitCode: sawMarker ? run.exitCode : timedOut || !channel || channel.exitCode === 0 ? null : channel.exitCode,
      signal: sawMarker ? null : (channel?.signal ?? null),
      stdout: run.stdout.text(),
      stderr: run.stderr.text(),
      stdoutBytes: run.stdout.bytes(),
      stdoutTotalBytes: run.stdout.totalBytes,
      truncated: run.stdout.truncated || run.stderr.truncated,
      timedOut,
      durationMs: Math.round((sawMarker ? run.ended : performance.now()) - run.started),
    };
  };
  const arm = (index: number, timeoutMs: number): void => {
    clearTimeout(deadline);
    const run = runs[index] as Run;
    run.started = performance.now();
    deadline = setTimeout(() => {
      run.timedOut = true;
      killer.abort();
    }, timeoutMs);
  };
  const start = (index: number): void => {
    started = index;
    options.onStart?.(index);
    arm(index, (commands[index] as SequenceCommand).timeoutMs);
  };
  const lastSequenceIndex = commands.length - 1;
  const settleIfDone = (index: number): void => {
    const run = runs[index];
    if (!run || run.ended === 0 || !run.stderrDone) return;
    if (index === lastSequenceIndex && run.exitCode === 0) sequenceDone?.();
    run.onDone?.();
  };

  const stdout = new SequenceStreamSplitter(
    boundary,
    (index, chunk) => {
      runs[index]?.stdout.push(chunk);
      if (index <= lastSequenceIndex) options.onOutput?.(index, 'stdout', chunk);
    },
    (index, status) => {
      const run = runs[index];
      if (!run) return;
      run.ended = performance.now();
      run.exitCode = /^\d+$/.test(status.trim()) ? Number(status.trim()) : null;
      clearTimeout(deadline);
      settleIfDone(index);
      if (run.exitCode !== 0 || index >= lastSequenceIndex) return;
      if (gate?.before !== index + 1) {
        start(index + 1);
        return;
      }
      void gate
        .proceed(runs.slice(0, index + 1).map(resultOf))
        .catch((error: unknown) => {
          gateError = error;
          return false;
        })
        .then((go) => {
          if (over) return;
          if (go) {
            start(index + 1);
            stdin?.write('go\n');
          } else {
            stdin?.end();
          }
        });
    },
  );
  const stderr = new SequenceStreamSplitter(
    boundary,
    (index, chunk) => {
      runs[index]?.stderr.push(chunk);
      if (index <= lastSequenceIndex) options.onOutput?.(index, 'stderr', chunk);
    },
    (index) => {
      const run = runs[index];
      if (!run) return;
      run.stderrDone = true;
      settleIfDone(index);
    },
  );

  start(0);
  // A backstop only: each command has its own deadline, and a gate gets as long as all of them.
  // A resident shell lives as long as its connection: no overall deadline then.
  const total = 2 * commands.reduce((sum, c) => sum + c.timeoutMs, 0) + KILL_GRACE_MS;
  const channelDone = exec(
    sequenceScript(
      commands.map((c) => c.command),
      boundary,
      gate?.before,
      resident,
    ),
    {
      timeoutMs: resident ? 2 ** 31 - 1 : total,
      maxOutputBytes: 0,
      signal: killer.signal,
      onOutput: (stream, chunk) => (stream === 'stdout' ? stdout : stderr).push(chunk),
      onStdin: (input) => {
        stdin = input;
      },
    },
  ).then(
    (outcome) => {
      channel = outcome;
    },
    (error: unknown) => {
      channel = {
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        stdoutBytes: Buffer.alloc(0),
        stdoutTotalBytes: 0,
        truncated: false,
        timedOut: false,
        durationMs: 0,
      };
      throw error;
    },
  );
  const finish = () => {
    over = true;
    clearTimeout(deadline);
    stdout.end();
    stderr.end();
    for (const run of runs) run.onDone?.();
  };
  const closed = channelDone.finally(finish);

  // With a resident shell the channel stays open: the sequence is over once its last command's markers are in.
  const doneWithShell = resident ? new Promise<void>((resolve) => (sequenceDone = resolve)) : undefined;
  const first = await Promise.race([
    closed.then(() => 'closed' as const),
    ...(doneWithShell ? [doneWithShell.then(() => 'done' as const)] : []),
  ]);
  if (first === 'closed' || !resident) {
    if (gateError !== undefined) throw gateError;
    return { results: runs.slice(0, started + 1).map(resultOf) };
  }
  // Failures of the channel from here on only end the resident shell.
  closed.catch(() => undefined);
  clearTimeout(deadline);
  const results = runs.slice(0, commands.length).map(resultOf);

  let queue: Promise<unknown> = Promise.resolve();
  const shell: ResidentShell = {
    get alive() {
      return !over;
    },
    commands: resident,
    close: () => stdin?.end(),
    run: (index, timeoutMs) => {
      checkTimeout(timeoutMs);
      if (!Number.isInteger(index) || index < 0 || index >= resident.length) throw new RangeError(`no resident command ${index}`);
      const request = queue.then(
        () =>
          new Promise<ExecResult>((resolve, reject) => {
            if (over) return reject(new ResidentShellGoneError());
            const at = runs.length;
            const run = newRun();
            runs.push(run);
            run.onDone = () => {
              run.onDone = undefined;
              clearTimeout(deadline);
              if (run.ended > 0 && run.stderrDone) return resolve(resultOf(run));
              // Killed at its deadline: that is its outcome. Otherwise the shell went away under it.
              if (run.timedOut) return resolve(resultOf(run));
              reject(new ResidentShellGoneError());
            };
            arm(at, timeoutMs);
            stdin?.write(`${index}\n`);
          }),
      );
      queue = request.catch(() => undefined);
      return request;
    },
  };
  return { results, resident: shell };
}
