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

/** Bytes of each stream a command keeps in `GET /deployments/:id` (docs/api.md#deployments); the whole bounded output is paged per host. */
export const COMMAND_SUMMARY_STREAM_BYTES = 4 * 1024;

/** The last `maxBytes` UTF-8 bytes of `text`, never starting inside a character. */
export function utf8Tail(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

export type CommandSummary<R> = R & { stdoutCut: boolean; stderrCut: boolean };

/**
 * A command as a deployment's view shows it: phase, exit code, timing, and the
 * last `maxBytes` of each stream (`stdoutCut`/`stderrCut` say when more is at
 * `GET /deployments/:id/hosts/:hostId/output`). 1,000 hosts with re-checks stay
 * a bounded answer.
 */
export function summarizeCommand<R extends { stdout: string; stderr: string }>(
  record: R,
  maxBytes = COMMAND_SUMMARY_STREAM_BYTES,
): CommandSummary<R> {
  const stdout = utf8Tail(record.stdout, maxBytes);
  const stderr = utf8Tail(record.stderr, maxBytes);
  return {
    ...record,
    stdout,
    stderr,
    stdoutCut: stdout.length !== record.stdout.length,
    stderrCut: stderr.length !== record.stderr.length,
  };
}

/** One page of a host's commands: `cursor` is the index of the first command to show (as `nextCursor` gave it). */
export function pageOfCommands<R>(records: R[], cursor: number, limit: number): { items: R[]; nextCursor: string | null } {
  const items = records.slice(cursor, cursor + limit);
  const next = cursor + items.length;
  return { items, nextCursor: next < records.length ? String(next) : null };
}
