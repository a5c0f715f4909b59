// What the command prints while it follows a task and when it ends: pure
// functions from the gateway's views to text, so each form is unit tested.
import type { DeploymentView, ScanView, TaskStreamEvent, TaskView } from './gateway-types';
import { formatDuration } from './duration';

/** `2026-05-01T12:00:03Z`: second precision, UTC, as CI logs show times. */
export function timestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function progressCounts(task: TaskView): { done: number; total: number; percent: number } {
  const done = task.progress?.done ?? 0;
  const total = task.progress?.total ?? 0;
  const percent = task.progress?.percent ?? (total > 0 ? Math.floor((done / total) * 100) : 0);
  return { done, total, percent: Math.max(0, Math.min(100, percent)) };
}

/** `deploy running · step 2/4 · 9/20 hosts (45%)`. */
export function describeTask(task: TaskView): string {
  const { done, total, percent } = progressCounts(task);
  const parts = [`${task.type} ${task.status}`];
  if (task.progress?.phase && task.progress.phase !== task.status) parts.push(task.progress.phase);
  if (total > 0) parts.push(`${done}/${total} hosts (${percent}%)`);
  if (task.error?.message) parts.push(`error: ${task.error.message}`);
  return parts.join(' · ');
}

/**
 * The live line on a terminal: `[#########-----------] 45% step 2/4 · 9/20 hosts · 1m 3s`,
 * cut to the terminal's width so that it never wraps (a wrapped line cannot be redrawn).
 */
export function renderProgressBar(task: TaskView, elapsedMs: number, columns: number, note?: string): string {
  const { done, total, percent } = progressCounts(task);
  const barWidth = Math.max(10, Math.min(30, columns - 60));
  const filled = Math.round((percent / 100) * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const parts = [`${bar} ${String(percent).padStart(3)}%`, task.progress?.phase || task.status];
  if (total > 0) parts.push(`${done}/${total} hosts`);
  parts.push(formatDuration(elapsedMs));
  if (note) parts.push(note);
  const line = parts.join(' · ').replace(/ · /, ' ');
  const width = Math.max(20, columns - 1);
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** One log line for a live event, or null when the event says nothing new to a reader. */
export function describeEvent(event: TaskStreamEvent): string | null {
  const data = event.data;
  switch (event.event) {
    case 'host': {
      const name = String(data.hostName ?? data.hostId ?? '?');
      const error = typeof data.error === 'string' && data.error ? ` — ${data.error}` : '';
      return `host ${name} ${String(data.status ?? '?')}${error}`;
    }
    case 'step': {
      const index = typeof data.index === 'number' ? data.index + 1 : '?';
      if (data.status === 'baking' && typeof data.until === 'string') {
        return `step ${index} baking until ${timestamp(new Date(data.until))}`;
      }
      return `step ${index} ${String(data.status ?? '?')}`;
    }
    case 'task':
    case 'end':
      return describeTask(data as unknown as TaskView);
    default:
      return null;
  }
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

const HOST_STATUS_ORDER = [
  'healthy',
  'rolled_back',
  'skipped',
  'failed',
  'rollback_failed',
  'pending',
  'capturing',
  'applying',
  'verifying',
  'rolling_back',
];

/** Hosts whose record calls for a reader's attention: they failed, or carry an error. */
export function failedHosts(deployment: DeploymentView): DeploymentView['hosts'] {
  return deployment.hosts.filter((h) => h.error || h.status === 'failed' || h.status === 'rollback_failed');
}

/**
 * The closing summary of a deployment: its status, hosts counted by status,
 * and every failed host with its error (one line each, cut to `errorWidth`).
 */
export function renderDeploymentSummary(deployment: DeploymentView, errorWidth = 160): string[] {
  const counts = new Map<string, number>();
  for (const host of deployment.hosts) counts.set(host.status, (counts.get(host.status) ?? 0) + 1);
  const statuses = [...counts.keys()].sort(
    (a, b) => (HOST_STATUS_ORDER.indexOf(a) + 1 || 99) - (HOST_STATUS_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  const lines = [
    `deployment ${deployment.id}: ${deployment.status} (${deployment.hosts.length} host${deployment.hosts.length === 1 ? '' : 's'})`,
    '',
    ...formatTable(
      ['HOST STATUS', 'HOSTS'],
      statuses.map((status) => [status, String(counts.get(status))]),
    ).map((l) => `  ${l}`),
  ];
  const oneLine = (text: string) => {
    const flat = text.replace(/\s+/g, ' ').trim();
    return flat.length > errorWidth ? `${flat.slice(0, errorWidth - 1)}…` : flat;
  };
  const rolledBack = deployment.hosts
    .filter((h) => h.rollbackStartedAt)
    .sort((a, b) => Date.parse(a.rollbackStartedAt as string) - Date.parse(b.rollbackStartedAt as string));
  if (rolledBack.length > 0) {
    lines.push(
      '',
      `rollback, in the order it ran (newest change first):`,
      ...formatTable(
        ['HOST', 'STATUS', 'STARTED', 'FINISHED'],
        rolledBack.map((h) => [
          h.hostName,
          h.status,
          timestamp(new Date(h.rollbackStartedAt as string)),
          h.rollbackFinishedAt ? timestamp(new Date(h.rollbackFinishedAt)) : '-',
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  const failed = failedHosts(deployment);
  if (failed.length > 0) {
    lines.push(
      '',
      `failed hosts (${failed.length}):`,
      ...formatTable(
        ['HOST', 'STEP', 'STATUS', 'EXIT', 'ERROR'],
        failed.map((h) => [
          h.hostName,
          String(h.step + 1),
          h.status,
          h.exitCode === null || h.exitCode === undefined ? '-' : String(h.exitCode),
          oneLine(h.error ?? ''),
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** The closing summary of a scan: hosts scanned, findings by severity, and each host that could not be scanned. */
export function renderScanSummary(scan: ScanView): string[] {
  const { summary } = scan;
  const counts = Object.entries(summary.findings)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${severity} ${n}`);
  const lines = [
    `scan ${scan.id}: ${scan.status} (${summary.scanned}/${summary.hosts} hosts scanned${summary.failed ? `, ${summary.failed} failed` : ''})`,
    `findings: ${counts.length > 0 ? counts.join(', ') : 'none'}`,
  ];
  const failed = scan.hosts.filter((h) => h.status === 'failed');
  if (failed.length > 0) {
    lines.push(
      '',
      `hosts not scanned (${failed.length}):`,
      ...formatTable(
        ['HOST', 'REASON', 'ERROR'],
        failed.map((h) => [h.hostName, h.errorCode ?? '-', (h.error ?? '').replace(/\s+/g, ' ').slice(0, 160)]),
      ).map((l) => `  ${l}`),
    );
  }
  if (counts.length > 0) lines.push('', 'list them: vulnzero findings --severity critical,high');
  return lines;
}
