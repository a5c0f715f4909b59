import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who holds a deployment's lease: one run of the engine (one job being
 * processed), not a whole process, since a process can be handed the same
 * deployment's job twice (a stalled job while Redis restarts). Every status
 * write the engine makes is conditional in SQL on the lease being held by the
 * run that writes, so a run that lost its lease (paused, partitioned, slow, or
 * a duplicate) writes nothing and tells no host to go on.
 */
const PROCESS = `${hostname()}:${process.pid}`;

/** The holder name of writes made outside any run (tests of the records, tools). */
export const LEASE_HOLDER = `${PROCESS}:${randomBytes(3).toString('hex')}`;

const runHolder = new AsyncLocalStorage<string>();

/** A fresh holder name for one run. */
export function newLeaseHolder(): string {
  return `${PROCESS}:${randomBytes(6).toString('hex')}`;
}

/** Runs `work` as `holder`: every record write inside it (timers and callbacks too) is fenced on that name. */
export function asLeaseHolder<T>(holder: string, work: () => T): T {
  return runHolder.run(holder, work);
}

/** The holder of the run this code is part of. */
export function currentLeaseHolder(): string {
  return runHolder.getStore() ?? LEASE_HOLDER;
}

/** A fenced write found the row in another state, or this run no longer holds the lease: nothing was written. */
export class FencedWriteError extends Error {
  constructor(what: string) {
    super(`${what}: the record changed meanwhile or this worker no longer holds the deployment's lease; nothing was written`);
    this.name = 'FencedWriteError';
  }
}
