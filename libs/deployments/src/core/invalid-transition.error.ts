/** Raised when code tries a status change the state machine does not allow. */
export class InvalidTransitionError extends Error {
  constructor(
    readonly entity: 'deployment' | 'host' | 'step',
    readonly from: string,
    readonly to: string,
  ) {
    super(`a ${entity} cannot go from ${from} to ${to}`);
    this.name = new.target.name;
  }
}
