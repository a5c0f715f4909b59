// What the restart report command (a package patch's `report`) printed on a
// host, read into what GET /deployments/:id shows: whether the host asks for a
// reboot, and which processes still map a replaced shared library (they run
// the old, possibly vulnerable code until restarted). The output comes from
// the host: every field is bounded and checked, nothing of it is trusted.

export interface StaleProcess {
  pid: number;
  /** The process name (/proc/<pid>/comm), as the host reported it. */
  command: string;
  /** The replaced libraries it still maps (paths as in /proc/<pid>/maps). */
  libraries: string[];
}

export interface RestartReport {
  rebootRequired: boolean;
  staleProcesses: StaleProcess[];
  /** More processes or libraries were reported than are kept. */
  truncated: boolean;
  at: string;
}

/** After apply and after rollback, per host. */
export interface HostRestartReports {
  afterApply?: RestartReport;
  afterRollback?: RestartReport;
}

export const RESTART_REPORT_LIMITS = { processes: 200, librariesPerProcess: 50, fieldLength: 512 } as const;

// Printable, without the separators of the format.
function clean(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '').slice(0, RESTART_REPORT_LIMITS.fieldLength);
}

export function parseRestartReport(stdout: string, at: Date): RestartReport {
  let rebootRequired = false;
  let truncated = false;
  const byPid = new Map<number, StaleProcess>();
  for (const line of stdout.split('\n')) {
    if (line === 'reboot-required') {
      rebootRequired = true;
      continue;
    }
    const fields = line.split('\t');
    if (fields[0] !== 'stale' || fields.length !== 4) continue;
    const [, pidText, command, library] = fields as [string, string, string, string];
    if (!/^[1-9][0-9]{0,9}$/.test(pidText) || !library.startsWith('/')) continue;
    const pid = Number(pidText);
    let entry = byPid.get(pid);
    if (!entry) {
      if (byPid.size >= RESTART_REPORT_LIMITS.processes) {
        truncated = true;
        continue;
      }
      entry = { pid, command: clean(command), libraries: [] };
      byPid.set(pid, entry);
    }
    const path = clean(library);
    if (entry.libraries.includes(path)) continue;
    if (entry.libraries.length >= RESTART_REPORT_LIMITS.librariesPerProcess) {
      truncated = true;
      continue;
    }
    entry.libraries.push(path);
  }
  const staleProcesses = [...byPid.values()].sort((a, b) => a.pid - b.pid);
  return { rebootRequired, staleProcesses, truncated, at: at.toISOString() };
}
