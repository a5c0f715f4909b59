import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OsRelease, RangeEvent, Severity, SeverityCounts, UpgradablePackage } from './core';

// numeric columns come back from pg as strings: read them as numbers.
const numeric = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity('advisories')
export class AdvisoryEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'timestamptz' }) modified!: Date;
  @Column({ type: 'timestamptz', nullable: true }) published!: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) withdrawn!: Date | null;
  @Column({ type: 'text', nullable: true }) summary!: string | null;
  @Column({ type: 'text', array: true }) aliases!: string[];
  @Column({ type: 'text' }) severity!: Severity;
  @Column({ type: 'numeric', nullable: true, transformer: numeric }) score!: number | null;
  /** The OSV record as imported. */
  @Column({ type: 'jsonb' }) record!: Record<string, unknown>;
  @Column({ name: 'imported_at', type: 'timestamptz' }) importedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('advisory_packages')
export class AdvisoryPackageEntity {
  @PrimaryColumn({ name: 'advisory_id', type: 'text' }) advisoryId!: string;
  @PrimaryColumn({ type: 'integer' }) position!: number;
  @Column({ type: 'text' }) ecosystem!: string;
  @Column({ type: 'text', nullable: true }) release!: string | null;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'jsonb' }) ranges!: RangeEvent[][];
  @Column({ type: 'jsonb' }) versions!: string[];
  @Column({ type: 'text' }) severity!: Severity;
  @Column({ type: 'numeric', nullable: true, transformer: numeric }) score!: number | null;
}

export const SCAN_STATUSES = ['queued', 'running', 'succeeded', 'partial', 'failed'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];
export const SCAN_HOST_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;
export type ScanHostStatus = (typeof SCAN_HOST_STATUSES)[number];

@Entity('scans')
export class ScanEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'task_id', type: 'uuid', nullable: true }) taskId!: string | null;
  @Column({ type: 'text' }) status!: ScanStatus;
  @Column({ type: 'jsonb' }) targets!: { hostIds?: string[]; labels?: Record<string, string> };
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}

@Entity('scan_hosts')
export class ScanHostEntity {
  @PrimaryColumn({ name: 'scan_id', type: 'uuid' }) scanId!: string;
  @PrimaryColumn({ name: 'host_id', type: 'uuid' }) hostId!: string;
  @Column({ type: 'integer' }) position!: number;
  @Column({ name: 'host_name', type: 'text' }) hostName!: string;
  @Column({ type: 'text' }) address!: string;
  @Column({ type: 'integer' }) port!: number;
  @Column({ type: 'text' }) status!: ScanHostStatus;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'jsonb', nullable: true }) os!: OsRelease | null;
  @Column({ name: 'package_count', type: 'integer', nullable: true }) packageCount!: number | null;
  /** Null when the host's package manager could not tell. */
  @Column({ type: 'jsonb', nullable: true }) upgradable!: UpgradablePackage[] | null;
  @Column({ name: 'finding_counts', type: 'jsonb', nullable: true }) findingCounts!: SeverityCounts | null;
  @Column({ name: 'new_findings', type: 'integer', nullable: true }) newFindings!: number | null;
  @Column({ name: 'resolved_findings', type: 'integer', nullable: true }) resolvedFindings!: number | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}

export type FindingStatus = 'open' | 'resolved';

@Entity('findings')
export class FindingEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'host_id', type: 'uuid' }) hostId!: string;
  @Column({ type: 'text' }) package!: string;
  @Column({ name: 'advisory_id', type: 'text' }) advisoryId!: string;
  @Column({ name: 'matched_name', type: 'text' }) matchedName!: string;
  @Column({ name: 'installed_version', type: 'text' }) installedVersion!: string;
  @Column({ name: 'fixed_version', type: 'text', nullable: true }) fixedVersion!: string | null;
  @Column({ type: 'text' }) severity!: Severity;
  @Column({ type: 'numeric', nullable: true, transformer: numeric }) score!: number | null;
  @Column({ type: 'text', array: true }) aliases!: string[];
  @Column({ type: 'text' }) status!: FindingStatus;
  @Column({ name: 'first_seen_at', type: 'timestamptz' }) firstSeenAt!: Date;
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt!: Date;
  @Column({ name: 'first_scan_id', type: 'uuid' }) firstScanId!: string;
  @Column({ name: 'last_scan_id', type: 'uuid' }) lastScanId!: string;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ name: 'resolved_scan_id', type: 'uuid', nullable: true }) resolvedScanId!: string | null;
  @Column({ name: 'resolved_by_deployment_id', type: 'uuid', nullable: true }) resolvedByDeploymentId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('package_fix_patches')
export class PackageFixPatchEntity {
  @PrimaryColumn({ type: 'text' }) package!: string;
  @PrimaryColumn({ name: 'fixed_version', type: 'text' }) fixedVersion!: string;
  @Column({ name: 'patch_id', type: 'uuid' }) patchId!: string;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const SCAN_ENTITIES = [AdvisoryEntity, AdvisoryPackageEntity, ScanEntity, ScanHostEntity, FindingEntity, PackageFixPatchEntity];
