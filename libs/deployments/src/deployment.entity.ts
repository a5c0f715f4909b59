import type { HostRestartReports } from './core/restart-report';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { DeploymentStatus } from './core/deployment-state';
import type { HostStatus } from './core/host-state';
import type { StepStatus } from './core/next-action';
import type { Strategy } from './core/strategy';
import type { MaintenanceWindow, ScheduleHold } from './core/maintenance-window';
import type { RollbackRetrySelection } from './core/rollback-retry';

/** Why a deployment is paused: a gate awaiting promote, or its schedule (`notBefore`, a closed window). */
export type PausedReason = 'gate' | ScheduleHold;

export interface DeploymentTargets {
  hostIds?: string[];
  labels?: Record<string, string>;
}

@Entity('deployments')
export class DeploymentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'patch_id', type: 'uuid' }) patchId!: string;
  @Column({ type: 'text' }) status!: DeploymentStatus;
  @Column({ type: 'jsonb' }) strategy!: Strategy;
  @Column({ type: 'jsonb' }) targets!: DeploymentTargets;
  @Column({ name: 'task_id', type: 'uuid', nullable: true }) taskId!: string | null;
  @Column({ name: 'rollback_task_id', type: 'uuid', nullable: true }) rollbackTaskId!: string | null;
  @Column({ name: 'cancel_requested', type: 'boolean' }) cancelRequested!: boolean;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ name: 'request_hash', type: 'text' }) requestHash!: string;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ type: 'jsonb', nullable: true }) error!: { code: string; message: string; hosts?: string[] } | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'lease_owner', type: 'text', nullable: true }) leaseOwner!: string | null;
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil!: Date | null;
  /** The deployment this one retries (its failed and unstarted hosts). */
  @Column({ name: 'retry_of', type: 'uuid', nullable: true }) retryOf!: string | null;
  /** The deployment that retried this one; at most one. */
  @Column({ name: 'retried_by', type: 'uuid', nullable: true }) retriedBy!: string | null;
  /** The maintenance window hosts start in: inline, or a copy of the named one (`maintenanceWindowId`). */
  @Column({ type: 'jsonb', nullable: true }) window!: MaintenanceWindow | null;
  @Column({ name: 'maintenance_window_id', type: 'uuid', nullable: true }) maintenanceWindowId!: string | null;
  @Column({ name: 'not_before', type: 'timestamptz', nullable: true }) notBefore!: Date | null;
  /** Set while paused. */
  @Column({ name: 'paused_reason', type: 'text', nullable: true }) pausedReason!: PausedReason | null;
  /** While paused by its schedule: when the engine wakes it. */
  @Column({ name: 'resume_at', type: 'timestamptz', nullable: true }) resumeAt!: Date | null;
  /**
   * The retried rollback of a `rollback_failed` deployment: the hosts it
   * retries and those it left alone; null for a first rollback, which undoes
   * every changed host. Kept so a resumed rollback retries the same hosts.
   */
  @Column({ name: 'rollback_retry', type: 'jsonb', nullable: true }) rollbackRetry!: RollbackRetrySelection | null;
}

@Entity('deployment_steps')
export class DeploymentStepEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @PrimaryColumn({ type: 'integer' }) index!: number;
  @Column({ type: 'integer' }) size!: number;
  @Column({ type: 'text' }) status!: StepStatus;
  @Column({ name: 'bake_until', type: 'timestamptz', nullable: true }) bakeUntil!: Date | null;
  @Column({ type: 'boolean' }) promoted!: boolean;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}

/** One command as it ran on a host: kept per host and phase, output bounded. */
export interface CommandRecord {
  phase: 'capture' | 'apply' | 'verify' | 'report' | 'health' | 'rollback' | 'rollback-verify' | 'rollback-report' | 'rollback-health';
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  at: string;
}

@Entity('deployment_hosts')
export class DeploymentHostEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @PrimaryColumn({ name: 'host_id', type: 'uuid' }) hostId!: string;
  @Column({ type: 'integer' }) position!: number;
  @Column({ name: 'host_name', type: 'text' }) hostName!: string;
  /** The host's address as the inventory had it when the deployment was created: an IP or a DNS name. */
  @Column({ type: 'text' }) address!: string;
  /**
   * Pinned at creation, with port, hostKey and credentialId: the IP `address`
   * resolved to then (itself for an IP). Every connection and worker-side
   * health check of this deployment goes here; null: the name did not resolve.
   */
  @Column({ name: 'resolved_address', type: 'text', nullable: true }) resolvedAddress!: string | null;
  @Column({ type: 'integer' }) port!: number;
  /** The host key pinned in the inventory when the deployment was created; null: the host was not pinned. */
  @Column({ name: 'host_key', type: 'text', nullable: true }) hostKey!: string | null;
  @Column({ name: 'credential_id', type: 'uuid', nullable: true }) credentialId!: string | null;
  @Column({ type: 'integer' }) step!: number;
  @Column({ type: 'text' }) status!: HostStatus;
  @Column({ name: 'exit_code', type: 'integer', nullable: true }) exitCode!: number | null;
  @Column({ type: 'jsonb', nullable: true }) captured!: Record<string, string> | null;
  @Column({ name: 'rollback_commands', type: 'jsonb', nullable: true }) rollbackCommands!: string[] | null;
  @Column({ name: 'rollback_stored_at', type: 'timestamptz', nullable: true }) rollbackStoredAt!: Date | null;
  /** Package patches: processes using replaced libraries and reboot required, after apply and after rollback. */
  @Column({ name: 'restart_report', type: 'jsonb', nullable: true }) restartReport!: HostRestartReports | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  /** Not loaded unless asked for (`DeploymentRecords.load(id, {withOutput: true})`): the engine never needs it. */
  @Column({ type: 'jsonb', select: false }) output!: CommandRecord[];
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'rollback_started_at', type: 'timestamptz', nullable: true }) rollbackStartedAt!: Date | null;
  @Column({ name: 'rollback_finished_at', type: 'timestamptz', nullable: true }) rollbackFinishedAt!: Date | null;
}

@Entity('deployment_host_claims')
export class DeploymentHostClaimEntity {
  @PrimaryColumn({ name: 'host_id', type: 'uuid' }) hostId!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @CreateDateColumn({ name: 'claimed_at', type: 'timestamptz' }) claimedAt!: Date;
}
