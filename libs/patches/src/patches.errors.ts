import { ConflictError, DomainError } from '@vulnzero/http';

/** Only approved patches deploy (docs/api.md#routes): a 409, as the patch exists but is in the wrong state. */
export class PatchNotApprovedError extends ConflictError {
  constructor(readonly patchId: string) {
    super(`patch ${patchId} is not approved`, { patchId });
  }
}

/** Four eyes (REQUIRE_SEPARATE_APPROVER): whoever wrote a patch does not approve it. */
export class SelfApprovalError extends DomainError {
  constructor(
    readonly patchId: string,
    creator: string,
  ) {
    super(403, `patch ${patchId} was created by you (${creator}); another user must approve it (REQUIRE_SEPARATE_APPROVER=true)`, {
      patchId,
    });
  }
}

export class PatchAlreadyApprovedError extends ConflictError {
  constructor(readonly patchId: string) {
    super(`patch ${patchId} is already approved`, { patchId });
  }
}
