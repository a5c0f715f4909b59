/**
 * Group commit for many small writes of the same shape: writes that arrive
 * while one statement is in flight go out together in the next one, so fifty
 * hosts finishing at once cost a few round trips and commits, not fifty.
 * Nothing waits on a timer: a lone write goes out at once. Each caller's
 * promise settles when the statement carrying its write has committed (or
 * failed), so a caller that must not go on before its row is stored (the
 * write-ahead of a host's rollback) still waits for exactly that.
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
    private readonly maxBatch = 500,
    private readonly maxInFlight = 2,
  ) {}

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.flush(batch.map((entry) => entry.item))
        .then(
          (results) => {
            batch.forEach((entry, index) => {
              const failure = results[index];
              if (failure) entry.reject(failure);
              else entry.resolve();
            });
          },
          (error: unknown) => {
            const failure = error instanceof Error ? error : new Error(String(error));
            for (const entry of batch) entry.reject(failure);
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }
}
