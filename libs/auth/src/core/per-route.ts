/** Something worked out once per route (its decorators), by controller class, then handler. */
export class PerRoute<T> {
  // By class first: an inherited handler may sit under other class decorators.
  private readonly byController = new WeakMap<object, Map<object, T>>();

  /** The value for this controller and handler, computed on the first call. */
  get(controller: object, handler: object, compute: () => T): T {
    let byHandler = this.byController.get(controller);
    if (!byHandler) {
      byHandler = new Map();
      this.byController.set(controller, byHandler);
    }
    if (byHandler.has(handler)) return byHandler.get(handler) as T;
    const value = compute();
    byHandler.set(handler, value);
    return value;
  }
}
