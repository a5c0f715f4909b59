import type { PatchDefinition } from '@vulnzero/patches';
import type { CommandRecord } from '../deployment.entity';
import { parseRestartReport, type HostRestartReports } from '../core/restart-report';
import { firstAttemptTimeoutMs } from './health-checker';

// A host's command sequence (HostPatcher.patch): which commands run in its one
// channel, what the run returns, and the phases read back from it.

export interface SequenceStep {
  phase: 'capture' | 'apply' | 'verify' | 'report' | 'health';
  command: string;
  timeoutMs: number;
}

/**
 * What runs after the rollback is stored: apply, verify, the restart report
 * (package patches, after their restarts), and the first attempt
 * of the health checks when all of them are commands on the host (checks made
 * from the worker, and retries, go through the HealthChecker).
 */
export function afterRollbackSteps(patch: PatchDefinition, timeoutMs: number): SequenceStep[] {
  const steps: SequenceStep[] = patch.apply.map((command) => ({ phase: 'apply', command, timeoutMs }));
  if (patch.verify) steps.push({ phase: 'verify', command: patch.verify, timeoutMs });
  if (patch.report) steps.push({ phase: 'report', command: patch.report, timeoutMs });
  if (patch.healthChecks.every((check) => check.type === 'command')) {
    for (const check of patch.healthChecks) {
      if (check.type === 'command')
        steps.push({ phase: 'health', command: check.command, timeoutMs: firstAttemptTimeoutMs(check.timeoutSeconds) });
    }
  }
  return steps;
}

/** The package patch's restart report, when its command ran in the sequence. */
export function reportOf(records: CommandRecord[]): { restartReport?: HostRestartReports } {
  const record = records.find((r) => r.phase === 'report' && r.exitCode === 0);
  return record ? { restartReport: { afterApply: parseRestartReport(record.stdout, new Date()) } } : {};
}

/** The write-ahead gate's answer: committed (and when), or refused before anything was written. */
export type WriteAheadAnswer = { stored: true; at: number } | { stored: false; failure: Error };

/** What a host's command sequence did (see `runSequence`). */
export interface SequenceRun {
  /** One per command that ended, in order; none when the channel failed. */
  records: CommandRecord[];
  /** When each command started (ms since the epoch), by step index. */
  startedAt: number[];
  /** Absent when the sequence never reached the gate. */
  writeAhead?: WriteAheadAnswer | undefined;
  /** The `verifying` write, when a command after apply started. */
  verifying?: Promise<void> | undefined;
  /** What ended the channel before the sequence did (a lost connection, a failed commit). */
  error?: unknown;
}

/** The phase a host is in, and since when: what a failure is named and timed by. */
export interface PhaseInProgress {
  phase: string;
  since: number;
}

/**
 * The phases a sequence got through (capture until the rollback was
 * committed, apply until the first command after it started) and the one it
 * was in when it ended: the first command after apply names it (verify,
 * report or health).
 */
export function phasesReached(
  steps: SequenceStep[],
  run: Pick<SequenceRun, 'startedAt' | 'writeAhead'>,
  captureStarted: number,
): { passed: { phase: string; since: number; until: number }[]; current: PhaseInProgress } {
  if (!run.writeAhead?.stored) return { passed: [], current: { phase: 'capture', since: captureStarted } };
  const committed = run.writeAhead.at;
  const capture = { phase: 'capture', since: captureStarted, until: committed };
  const next = steps.findIndex((step, index) => step.phase !== 'capture' && step.phase !== 'apply' && run.startedAt[index] !== undefined);
  if (next < 0) return { passed: [capture], current: { phase: 'apply', since: committed } };
  const afterApply = run.startedAt[next] as number;
  return {
    passed: [capture, { phase: 'apply', since: committed, until: afterApply }],
    current: { phase: (steps[next] as SequenceStep).phase, since: afterApply },
  };
}
