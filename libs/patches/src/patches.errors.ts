import { ConflictError } from '@vulnzero/http';

/** Only approved patches deploy (SPEC §2): a 409, as the patch exists but is in the wrong state. */
export class PatchNotApprovedError extends ConflictError {
  constructor(readonly patchId: string) {
    super(`patch ${patchId} is not approved`, { patchId });
  }
}

export class PatchAlreadyApprovedError extends ConflictError {
  constructor(readonly patchId: string) {
    super(`patch ${patchId} is already approved`, { patchId });
  }
}
