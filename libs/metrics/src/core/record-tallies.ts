// Turns grouped counts read from PostgreSQL into metric samples. Every known
// label combination gets a sample (zero when no row has it), so a counter
// exists before its first increment and rate()/increase() see that increment.

export interface GroupCount {
  /** The grouping key besides status: task type, or deployment strategy type. */
  kind: string;
  status: string;
  count: number;
  /** Seconds since the oldest row of the group started (or was created); null when unknown. */
  oldestSeconds?: number | null;
}

export interface Sample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

export interface Tallies<K extends string> {
  /** Rows in a final status, by kind and status: only ever grows while rows are kept. */
  finished: Sample<K | 'status'>[];
  /** Rows not yet final, by kind and status. */
  open: Sample<K | 'status'>[];
  /** Age of the oldest open row, by kind and status (only groups with rows). */
  oldestOpenSeconds: Sample<K | 'status'>[];
}

export function tallyByStatus<K extends string>(
  kindLabel: K,
  rows: GroupCount[],
  known: { kinds: readonly string[]; finalStatuses: readonly string[]; openStatuses: readonly string[] },
): Tallies<K> {
  const counts = new Map<string, GroupCount>();
  const keyOf = (kind: string, status: string) => `${kind}\u0000${status}`;
  for (const row of rows) {
    const key = keyOf(row.kind, row.status);
    const seen = counts.get(key);
    // The same group twice (it cannot come from one GROUP BY, but be exact anyway).
    counts.set(key, seen ? { ...row, count: seen.count + row.count } : row);
  }
  const kinds = [...new Set([...known.kinds, ...rows.map((r) => r.kind)])];
  const finals = new Set(known.finalStatuses);
  const statuses = [...new Set([...known.finalStatuses, ...known.openStatuses, ...rows.map((r) => r.status)])];

  const tallies: Tallies<K> = { finished: [], open: [], oldestOpenSeconds: [] };
  for (const kind of kinds) {
    for (const status of statuses) {
      const row = counts.get(keyOf(kind, status));
      const labels = { [kindLabel]: kind, status } as Record<K | 'status', string>;
      if (finals.has(status)) {
        tallies.finished.push({ labels, value: row?.count ?? 0 });
        continue;
      }
      tallies.open.push({ labels, value: row?.count ?? 0 });
      if (row && row.count > 0 && row.oldestSeconds !== null && row.oldestSeconds !== undefined) {
        tallies.oldestOpenSeconds.push({ labels, value: Math.max(0, row.oldestSeconds) });
      }
    }
  }
  return tallies;
}
