import type { OutputStream, SshSession } from '@vulnzero/ssh';
import type { CommandRecord } from '../deployment.entity';
import { inDeployment } from '../core/deployment-shell';

/** Runs one command on a host's session and keeps what happened, output bounded by the session. */
export async function runRecorded(
  session: SshSession,
  phase: CommandRecord['phase'],
  command: string,
  timeoutMs: number,
  onOutput?: (stream: OutputStream, chunk: Buffer) => void,
  /** Runs it with VZ_DEPLOYMENT_ID set (deployment-shell.ts); the record keeps `command` as given. */
  deploymentId?: string,
): Promise<CommandRecord> {
  const at = new Date().toISOString();
  const text = deploymentId ? inDeployment(deploymentId, command) : command;
  const result = await session.exec(text, onOutput ? { timeoutMs, onOutput } : { timeoutMs });
  return {
    phase,
    command,
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    at,
  };
}

export function describeFailure(record: CommandRecord): string {
  const why = record.timedOut ? 'timed out' : `exited ${record.exitCode ?? 'without status'}`;
  const stderr = record.stderr.trim().split('\n').slice(-3).join(' | ');
  return `${record.phase} command ${why}: ${record.command.slice(0, 200)}${stderr ? ` (stderr: ${stderr.slice(0, 300)})` : ''}`;
}
