// Bounded command output: keeps the LAST `limit` bytes of a stream (the end of
// a failing apt-get run is what explains it), without ever holding more than
// about twice the limit in memory.

export class OutputTail {
  private chunks: Buffer[] = [];
  private held = 0;
  private total = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`output limit must be a non-negative integer, got ${limit}`);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.limit === 0) return;
    if (chunk.length >= this.limit) {
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.held = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.held > 2 * this.limit) this.compact();
  }

  /** Bytes seen in total, kept or not. */
  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.limit;
  }

  /** The kept bytes, exactly as received. */
  bytes(): Buffer {
    this.compact();
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
  }

  /**
   * The kept bytes as UTF-8. When the cut fell inside a multi-byte character,
   * its orphaned continuation bytes are dropped rather than shown as U+FFFD.
   */
  text(): string {
    let bytes = this.bytes();
    if (this.truncated) {
      let skip = 0;
      while (skip < 3 && skip < bytes.length && (bytes[skip] & 0xc0) === 0x80) skip++;
      bytes = bytes.subarray(skip);
    }
    // NUL cannot be stored in PostgreSQL text or jsonb: a command printing
    // binary output must not make its host's record unwritable.
    return bytes.toString('utf8').replaceAll('\0', '\uFFFD');
  }

  private compact(): void {
    if (this.held <= this.limit) return;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(all.length - this.limit)];
    this.held = this.limit;
  }
}
