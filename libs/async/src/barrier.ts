/**
 * A gate that opens once and stays open: `wait()` resolves when `open()` is
 * first called (at once if it already was). Opening again does nothing, so
 * several events may race to open it.
 */
export class Barrier {
  private opened = false;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  get isOpen(): boolean {
    return this.opened;
  }

  open(): void {
    this.opened = true;
    this.release();
  }

  wait(): Promise<void> {
    return this.gate;
  }
}
