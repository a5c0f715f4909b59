import type { TaskProgress } from './task.entity';

/** A progress report: every field given (the stored row merges partial ones). */
export type ProgressReport = Required<TaskProgress>;

/** At most one progress write per this many milliseconds while hosts are finishing. */
export const PROGRESS_WRITE_INTERVAL_MS = 250;

/**
 * Writes a task's progress when it changed, at most once per interval: a
 * 200-host step would otherwise write the task row once per finishing host.
 * A change inside the interval is written when the interval ends (a trailing
 * write), so what `GET /tasks/:id` shows is never more than one interval
 * behind; a phase change (next step, paused, done) is written at once, and
 * `flush` writes what is pending before the run ends.
 */
export class ProgressWriter {
  private written = '';
  private queued = '';
  private writtenPhase = '';
  private lastWriteAt = 0;
  private pending?: ProgressReport;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (progress: ProgressReport) => Promise<void>,
    private readonly intervalMs = PROGRESS_WRITE_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once the progress is written, or scheduled for the trailing write. */
  async report(progress: ProgressReport): Promise<void> {
    // Against what the row will hold once the writes under way land, not what it holds now.
    if (JSON.stringify(progress) === this.queued) {
      this.pending = undefined;
      return;
    }
    const wait = this.lastWriteAt + this.intervalMs - this.now();
    if (progress.phase !== this.writtenPhase || wait <= 0) {
      await this.writeNow(progress);
      return;
    }
    this.pending = progress;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      // A failed trailing write is retried by the next report or the flush.
      void this.flush().catch(() => undefined);
    }, wait);
  }

  /** Writes the pending progress now, if any (before the run ends or pauses). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (pending) await this.writeNow(pending);
    else await this.chain;
  }

  /** Drops a pending trailing write (the run ended without finishing: another worker takes over). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private writeNow(progress: ProgressReport): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    const text = JSON.stringify(progress);
    this.queued = text;
    // Writes go out one after the other, so an older one never lands last.
    const next = this.chain.then(async () => {
      if (text === this.written) return;
      this.lastWriteAt = this.now();
      try {
        await this.write(progress);
        this.written = text;
        this.writtenPhase = progress.phase;
      } catch (error) {
        // Not written: the next report of the same value writes it again.
        if (this.queued === text) this.queued = this.written;
        this.pending ??= progress;
        throw error;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
