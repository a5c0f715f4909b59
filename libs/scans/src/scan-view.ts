import type { OsRelease, Severity, SeverityCounts, UpgradablePackage } from './core';
import { emptySeverityCounts } from './core';
import type { FindingEntity, FindingStatus, ScanEntity, ScanHostEntity, ScanHostStatus, ScanStatus } from './scan.entities';

export interface ScanHostView {
  hostId: string;
  hostName: string;
  address: string;
  port: number;
  status: ScanHostStatus;
  /** unreachable | timeout | auth | host_key_mismatch | host_key_not_pinned | host_removed | dpkg_query_failed | … */
  errorCode: string | null;
  error: string | null;
  os: OsRelease | null;
  packageCount: number | null;
  upgradable: UpgradablePackage[] | null;
  findings: SeverityCounts | null;
  newFindings: number | null;
  resolvedFindings: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ScanView {
  id: string;
  status: ScanStatus;
  taskId: string | null;
  targets: ScanEntity['targets'];
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  summary: { hosts: number; scanned: number; failed: number; pending: number; findings: SeverityCounts };
  hosts: ScanHostView[];
  links: { self: string; task: string | null; findings: string };
}

export interface FindingView {
  id: string;
  hostId: string;
  package: string;
  matchedName: string;
  advisoryId: string;
  aliases: string[];
  installedVersion: string;
  fixedVersion: string | null;
  severity: Severity;
  score: number | null;
  status: FindingStatus;
  firstSeenAt: string;
  lastSeenAt: string;
  firstScanId: string;
  lastScanId: string;
  resolvedAt: string | null;
  resolvedScanId: string | null;
  resolvedByDeploymentId: string | null;
  patchId: string | null;
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function toScanView(scan: ScanEntity, hosts: ScanHostEntity[]): ScanView {
  const findings = emptySeverityCounts();
  for (const h of hosts) for (const [k, n] of Object.entries(h.findingCounts ?? {})) findings[k as Severity] += n;
  return {
    id: scan.id,
    status: scan.status,
    taskId: scan.taskId,
    targets: scan.targets,
    createdBy: scan.createdBy,
    createdAt: scan.createdAt.toISOString(),
    startedAt: iso(scan.startedAt),
    finishedAt: iso(scan.finishedAt),
    summary: {
      hosts: hosts.length,
      scanned: hosts.filter((h) => h.status === 'succeeded').length,
      failed: hosts.filter((h) => h.status === 'failed').length,
      pending: hosts.filter((h) => h.status === 'pending' || h.status === 'running').length,
      findings,
    },
    hosts: hosts.map((h) => ({
      hostId: h.hostId,
      hostName: h.hostName,
      address: h.address,
      port: h.port,
      status: h.status,
      errorCode: h.errorCode,
      error: h.error,
      os: h.os,
      packageCount: h.packageCount,
      upgradable: h.upgradable,
      findings: h.findingCounts,
      newFindings: h.newFindings,
      resolvedFindings: h.resolvedFindings,
      startedAt: iso(h.startedAt),
      finishedAt: iso(h.finishedAt),
    })),
    links: { self: `/scans/${scan.id}`, task: scan.taskId ? `/tasks/${scan.taskId}` : null, findings: `/findings` },
  };
}

export function toFindingView(f: FindingEntity, patchId: string | null): FindingView {
  return {
    id: f.id,
    hostId: f.hostId,
    package: f.package,
    matchedName: f.matchedName,
    advisoryId: f.advisoryId,
    aliases: f.aliases,
    installedVersion: f.installedVersion,
    fixedVersion: f.fixedVersion,
    severity: f.severity,
    score: f.score,
    status: f.status,
    firstSeenAt: f.firstSeenAt.toISOString(),
    lastSeenAt: f.lastSeenAt.toISOString(),
    firstScanId: f.firstScanId,
    lastScanId: f.lastScanId,
    resolvedAt: iso(f.resolvedAt),
    resolvedScanId: f.resolvedScanId,
    resolvedByDeploymentId: f.resolvedByDeploymentId,
    patchId,
  };
}
