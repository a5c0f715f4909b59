/**
 * Group commit for many small writes of the same shape: writes that arrive
 * while one statement is in flight go out together in the next one, so fifty
 * hosts finishing at once cost a few round trips and commits, not fifty.
 * Nothing waits on a timer: a lone write goes out at once. Each caller's
 * promise settles when the statement carrying its write has committed (or
 * failed), so a caller that must not go on before its row is stored (the
 * write-ahead of a host's rollback) still waits for exactly that. A statement
 * refused as a whole is retried write by write, so one bad row fails alone.
 */
export class WriteBatcher<T> {
  private queue: { item: T; resolve: () => void; reject: (error: Error) => void }[] = [];
  private inFlight = 0;

  /**
   * `flush` writes a batch in one statement and returns, per item in order,
   * null when it was stored or an error for that item alone (a row gone);
   * a rejection fails the whole batch.
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<(Error | null)[]>,
    private readonly options: {
      maxBatch?: number;
      maxInFlight?: number;
      /** Writes of the same key never share a statement: the later one goes in the next, in order. */
      keyOf?: (item: T) => string;
    } = {},
  ) {}

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /**
   * One statement for the batch. When it fails as a whole and carried more
   * than one write, each write goes again alone: a write the database refuses
   * for its own data fails only its caller, while an outage fails them all.
   */
  private async write_(batch: { item: T; resolve: () => void; reject: (error: Error) => void }[]): Promise<void> {
    let results: (Error | null)[];
    try {
      results = await this.flush(batch.map((entry) => entry.item));
    } catch (error) {
      if (batch.length > 1) {
        await Promise.all(batch.map((entry) => this.write_([entry])));
        return;
      }
      for (const entry of batch) entry.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    batch.forEach((entry, index) => {
      const failure = results[index];
      if (failure) entry.reject(failure);
      else entry.resolve();
    });
  }

  private pump(): void {
    const { maxBatch = 500, maxInFlight = 2, keyOf } = this.options;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      let size = Math.min(maxBatch, this.queue.length);
      if (keyOf) {
        const keys = new Set<string>();
        for (let i = 0; i < size; i++) {
          const key = keyOf((this.queue[i] as { item: T }).item);
          if (keys.has(key)) {
            size = i;
            break;
          }
          keys.add(key);
        }
      }
      const batch = this.queue.splice(0, size);
      this.inFlight += 1;
      void this.write_(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }
}
