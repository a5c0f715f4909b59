import { DeploymentStatus, isTerminal } from './deployment-state';
import type { HostStatus } from './host-state';

/** Largest live output message published for one host (bytes of JSON text). */
export const HOST_OUTPUT_MESSAGE_BYTES = 8 * 1024;
/** Room left in a message for its envelope (phase, command excerpt, stream). */
const ENVELOPE_BYTES = 1024;
export const HOST_OUTPUT_TEXT_BYTES = HOST_OUTPUT_MESSAGE_BYTES - ENVELOPE_BYTES;

export function hostOutputChannel(deploymentId: string, hostId: string): string {
  return `vz:host-output:${deploymentId}:${hostId}`;
}

/**
 * A host whose output can no longer grow for the deploy it is in: it finished
 * (healthy or failed), was rolled back, or was skipped. A `pending` host has
 * not started: a follower waits for it, unless its deployment has ended (a
 * failed canary leaves later hosts pending for good).
 */
const SETTLED: readonly HostStatus[] = ['healthy', 'failed', 'rolled_back', 'rollback_failed', 'skipped'];

export function isHostOutputSettled(status: HostStatus, deploymentStatus: DeploymentStatus): boolean {
  return SETTLED.includes(status) || (status === 'pending' && isTerminal(deploymentStatus));
}

/**
 * Splits text into pieces of at most `maxBytes` UTF-8 bytes without cutting a
 * character in two (a JSON-escaped piece may grow; the envelope reserve covers
 * ordinary text, and control-heavy output is cut smaller by the caller's budget).
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must be at least 4');
  const pieces: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const char of text) {
    const bytes = Buffer.byteLength(char, 'utf8');
    if (currentBytes + bytes > maxBytes) {
      pieces.push(current);
      current = '';
      currentBytes = 0;
    }
    current += char;
    currentBytes += bytes;
  }
  if (current) pieces.push(current);
  return pieces;
}
