// Shows a followed task: on a terminal one live line (redrawn in place, with
// host failures and step changes printed above it); elsewhere plain
// timestamped lines, one per change, as CI logs want them.
import type { TaskStreamEvent, TaskView } from './gateway-types';
import type { Output, TextStream } from './output';
import { describeEvent, describeTask, renderProgressBar, timestamp } from './progress-render';
import type { FollowReporter } from './task-follower';

const CLEAR_LINE = '\r\x1b[2K';
const NOTEWORTHY_HOST_STATUSES = ['failed', 'rolling_back', 'rolled_back', 'rollback_failed'];

export class ProgressReporter implements FollowReporter {
  private readonly stream: TextStream;
  private readonly live: boolean;
  private readonly envColumns: number;
  private readonly started = Date.now();
  private current: TaskView | undefined;
  private lastLine = '';
  private barShown = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    output: Output,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.stream = output.progress;
    this.live = output.liveProgress;
    this.envColumns = Number(output.env.COLUMNS) || 80;
    if (this.live) {
      this.ticker = setInterval(() => this.redraw(), 1_000);
      this.ticker.unref();
    }
  }

  task(task: TaskView): void {
    this.current = task;
    if (this.live) return this.redraw();
    const line = describeTask(task);
    if (line !== this.lastLine) this.print(line);
    this.lastLine = line;
  }

  event(event: TaskStreamEvent): void {
    const line = describeEvent(event);
    if (!line) return;
    // On a terminal only what a watcher must not miss scrolls above the bar.
    if (this.live && event.event === 'host' && !NOTEWORTHY_HOST_STATUSES.includes(String(event.data.status))) return;
    this.print(line);
  }

  note(text: string): void {
    this.print(text);
  }

  /** Stops the live line and leaves the final state as a plain line. */
  finish(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (this.live && this.current) {
      this.clearBar();
      this.stream.write(`${describeTask(this.current)}\n`);
    }
  }

  private print(line: string): void {
    if (this.live) {
      this.clearBar();
      this.stream.write(`${line}\n`);
      this.redraw();
    } else {
      this.stream.write(`${timestamp(this.now())} ${line}\n`);
    }
  }

  private clearBar(): void {
    if (this.barShown) this.stream.write(CLEAR_LINE);
    this.barShown = false;
  }

  private redraw(): void {
    if (!this.current) return;
    // A pseudo-terminal may report 0 columns: fall back to $COLUMNS, then 80.
    const columns = this.stream.columns || this.envColumns;
    this.stream.write(`${CLEAR_LINE}${renderProgressBar(this.current, Date.now() - this.started, columns)}`);
    this.barShown = true;
  }
}
