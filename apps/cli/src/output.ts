// Where the command writes. Results go to stdout; with --json stdout carries
// exactly one JSON document and everything for humans (progress, warnings)
// goes to stderr, so `vulnzero … --json | jq` always parses.

export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Output {
  constructor(
    readonly stdout: TextStream,
    readonly stderr: TextStream,
    readonly json: boolean,
    readonly env: Record<string, string | undefined> = {},
  ) {}

  /** A line of the human-readable result (nothing in --json mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  lines(texts: string[]): void {
    for (const text of texts) this.line(text);
  }

  /** The machine-readable result: the one JSON document of --json mode. */
  data(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Something the operator should act on; never mixed into --json stdout. */
  warn(text: string): void {
    this.stderr.write(`warning: ${text}\n`);
  }

  /** Progress and notes while following a task. */
  get progress(): TextStream {
    return this.json ? this.stderr : this.stdout;
  }

  /** A live bar only on a real terminal; CI logs and pipes get plain lines. */
  get liveProgress(): boolean {
    return Boolean(this.progress.isTTY) && this.env.TERM !== 'dumb' && !this.env.CI;
  }
}
