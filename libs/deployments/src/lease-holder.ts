import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's name as the holder of a deployment's lease. Every status
 * write the engine makes is conditional in SQL on the lease being held by this
 * name, so a worker that lost its lease (paused, partitioned, slow) writes
 * nothing and tells no host to go on.
 */
export const LEASE_HOLDER = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** A fenced write found the row in another state, or this worker no longer holds the lease: nothing was written. */
export class FencedWriteError extends Error {
  constructor(what: string) {
    super(`${what}: the record changed meanwhile or this worker no longer holds the deployment's lease; nothing was written`);
    this.name = 'FencedWriteError';
  }
}
