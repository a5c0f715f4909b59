import { ConflictError, DomainError } from '@vulnzero/http';
import type { HostHold } from './host-holds';

/** The host did not answer SSH (refused, reset, no route): the gateway's upstream failed. */
export class HostUnreachableError extends DomainError {
  constructor(hostName: string, detail: string, reason: string) {
    super(502, `host ${hostName} could not be reached over SSH: ${detail}`, { hostName, reason });
  }
}

/** The host did not finish the SSH key exchange in time. */
export class HostTimeoutError extends DomainError {
  constructor(hostName: string, detail: string) {
    super(504, `host ${hostName} did not answer over SSH in time: ${detail}`, { hostName, reason: 'timeout' });
  }
}

export class HostKeyConflictError extends ConflictError {}

/** The engine asked to connect to a host nobody has trusted yet. */
export class HostNotPinnedError extends ConflictError {
  constructor(hostName: string, hostId: string) {
    super(`host ${hostName} has no pinned host key: an operator must trust it first (POST /hosts/${hostId}/host-key/trust)`, {
      hostId,
    });
  }
}

/** A stored credential cannot be opened with the configured master key. */
export class CredentialUnavailableError extends DomainError {
  constructor(credentialId: string, reason: string) {
    super(500, `credential ${credentialId} cannot be decrypted: ${reason}`, { credentialId });
  }
}

/**
 * A change that would move a host (or take its credential) from under a
 * deployment that pinned it: refused until that deployment ends.
 */
export class HostHeldError extends ConflictError {
  constructor(what: string, change: string, hold: HostHold) {
    super(
      `${what} is held by deployment ${hold.deploymentId} (${hold.deploymentStatus}), which pinned it when it started: ` +
        `${change} is refused until that deployment ends`,
      { deploymentId: hold.deploymentId, deploymentStatus: hold.deploymentStatus },
    );
  }
}
