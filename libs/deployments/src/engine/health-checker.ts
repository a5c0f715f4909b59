import { Injectable } from '@nestjs/common';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthCheck } from '@vulnzero/patches';
import { HostNetworks } from '@vulnzero/ssh';
import type { CommandRecord } from '../deployment.entity';
import { hostHttpCheckCommand, hostTcpCheckCommand, urlHost } from '../core/health-commands';
import type { HostCommandRunner } from './host-sessions';

/** One command on the host, kept as its record (output bounded by the session). */
async function recorded(
  runner: HostCommandRunner,
  phase: CommandRecord['phase'],
  command: string,
  timeoutMs: number,
): Promise<CommandRecord> {
  const at = new Date().toISOString();
  const { exitCode, stdout, stderr, durationMs, timedOut } = await runner.exec(command, { timeoutMs });
  return { phase, command, exitCode, stdout, stderr, durationMs, timedOut, at };
}

export interface HealthResult {
  passed: boolean;
  /** What failed, in words, for the host's record. */
  failure?: string;
  /** The last attempt of each check that ran a command on the host. */
  records: CommandRecord[];
}

const RETRY_INTERVAL_MS = 500;
const ATTEMPT_TIMEOUT_MS = 5_000;
const MIN_ATTEMPT_TIMEOUT_MS = 500;

/** The deadline of a check's first attempt, as the retry loop below gives it. */
export function firstAttemptTimeoutMs(timeoutSeconds: number): number {
  return Math.max(MIN_ATTEMPT_TIMEOUT_MS, Math.min(ATTEMPT_TIMEOUT_MS, timeoutSeconds * 1000));
}

/**
 * Runs a patch's health checks against one host. Each check is retried until
 * it passes or its own timeout runs out (docs/api.md#patches); the first check that never
 * passes fails the host.
 */
@Injectable()
export class HealthChecker {
  constructor(private readonly networks: HostNetworks) {}

  async check(checks: HealthCheck[], session: HostCommandRunner, address: string, phase: CommandRecord['phase']): Promise<HealthResult> {
    const records: CommandRecord[] = [];
    for (const [index, check] of checks.entries()) {
      const deadline = Date.now() + check.timeoutSeconds * 1000;
      let lastProblem = 'not attempted';
      for (;;) {
        const remaining = deadline - Date.now();
        const attemptTimeout = Math.max(MIN_ATTEMPT_TIMEOUT_MS, Math.min(ATTEMPT_TIMEOUT_MS, remaining));
        const outcome = await this.attempt(check, session, address, phase, attemptTimeout);
        if (outcome.record) {
          // Keep only the last attempt of each check: retries would crowd out the rest.
          const previous = records.findIndex((r) => r.command === outcome.record?.command);
          if (previous >= 0) records.splice(previous, 1);
          records.push(outcome.record);
        }
        if (outcome.ok) break;
        lastProblem = outcome.problem;
        if (Date.now() + RETRY_INTERVAL_MS >= deadline) {
          return {
            passed: false,
            failure: `health check ${index + 1} (${check.type}) failed for ${check.timeoutSeconds}s: ${lastProblem}`,
            records,
          };
        }
        await sleep(RETRY_INTERVAL_MS);
      }
    }
    return { passed: true, records };
  }

  private async attempt(
    check: HealthCheck,
    session: HostCommandRunner,
    address: string,
    phase: CommandRecord['phase'],
    timeoutMs: number,
  ): Promise<{ ok: boolean; problem: string; record?: CommandRecord }> {
    switch (check.type) {
      case 'command': {
        const record = await recorded(session, phase, check.command, timeoutMs);
        return {
          ok: record.exitCode === 0,
          problem: `\`${check.command}\` exited ${record.exitCode ?? (record.timedOut ? 'after timing out' : 'without status')}`,
          record,
        };
      }
      case 'http': {
        if (check.from === 'host') {
          const record = await recorded(session, phase, hostHttpCheckCommand(check.port, check.path, timeoutMs / 1000), timeoutMs + 1000);
          const status = Number(record.stdout.trim());
          return {
            ok: status === check.expectStatus,
            problem: `GET ${check.path} on the host answered ${record.stdout.trim() || 'nothing'}, expected ${check.expectStatus}`,
            record,
          };
        }
        return this.httpFromWorker(address, check.port, check.path, check.expectStatus, timeoutMs);
      }
      case 'tcp': {
        if (check.from === 'host') {
          const record = await recorded(session, phase, hostTcpCheckCommand(check.port, timeoutMs / 1000), timeoutMs + 1000);
          return { ok: record.exitCode === 0, problem: `port ${check.port} refused a connection on the host`, record };
        }
        return this.tcpFromWorker(address, check.port, timeoutMs);
      }
    }
  }

  private async httpFromWorker(address: string, port: number, path: string, expected: number, timeoutMs: number) {
    // Resolved and checked against HOST_NETWORKS, then the checked address is the one asked.
    const resolved = await this.networks.resolve(address);
    if (!resolved.ok) return { ok: false, problem: `http check of ${address}:${port} not made: ${resolved.message}` };
    const url = `http://${urlHost(resolved.ip)}:${port}${path}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await response.body?.cancel();
      return { ok: response.status === expected, problem: `GET ${url} answered ${response.status}, expected ${expected}` };
    } catch (error) {
      return { ok: false, problem: `GET ${url} failed: ${(error as Error).message}` };
    }
  }

  private async tcpFromWorker(address: string, port: number, timeoutMs: number): Promise<{ ok: boolean; problem: string }> {
    const resolved = await this.networks.resolve(address);
    if (!resolved.ok) return { ok: false, problem: `tcp check of ${address}:${port} not made: ${resolved.message}` };
    return new Promise((resolve) => {
      const socket = connect({ host: resolved.ip, port, timeout: timeoutMs });
      const done = (ok: boolean, problem: string) => {
        socket.destroy();
        resolve({ ok, problem });
      };
      socket.once('connect', () => done(true, ''));
      socket.once('timeout', () => done(false, `tcp ${address}:${port} timed out`));
      socket.once('error', (error) => done(false, `tcp ${address}:${port}: ${error.message}`));
    });
  }
}
