// Severity of an advisory: the advisory's own word where it gives one
// (database_specific.severity, as GitHub and many databases write it), else a
// CVSS v3 base score computed from the vector (FIRST CVSS v3.1 specification,
// §7), else a bare numeric score, else `unknown`.

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Highest first, for sorting and for picking the worst of several. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

const WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low',
};

/** A severity word as databases spell it (`HIGH`, `Moderate`, `important`), or undefined. */
export function severityFromWord(word: unknown): Severity | undefined {
  return typeof word === 'string' ? WORDS[word.trim().toLowerCase()] : undefined;
}

/** CVSS qualitative rating of a base score (v3 and v4 share the bands). */
export function severityFromScore(score: number): Severity | undefined {
  if (!Number.isFinite(score) || score < 0 || score > 10) return undefined;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return undefined; // 0.0 is "none": nothing to rank
}

const METRICS: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};
const PRIVILEGES: Record<string, { unchanged: number; changed: number }> = {
  N: { unchanged: 0.85, changed: 0.85 },
  L: { unchanged: 0.62, changed: 0.68 },
  H: { unchanged: 0.27, changed: 0.5 },
};

/** CVSS v3.1 Roundup: the smallest number with one decimal ≥ the input, free of float noise. */
function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/** The base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector; undefined when it is not one. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.trim().split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const values = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [key, value, extra] = part.split(':');
    if (!key || !value || extra !== undefined || values.has(key)) return undefined;
    values.set(key, value);
  }
  const scope = values.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const weight = (metric: string): number | undefined => METRICS[metric]?.[values.get(metric) ?? ''];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map(weight);
  const pr = PRIVILEGES[values.get('PR') ?? '']?.[scope === 'C' ? 'changed' : 'unchanged'];
  if ([av, ac, ui, c, i, a, pr].some((w) => w === undefined)) return undefined;
  const iss = 1 - (1 - (c as number)) * (1 - (i as number)) * (1 - (a as number));
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * (av as number) * (ac as number) * (pr as number) * (ui as number);
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

export interface OsvSeverityEntry {
  type: string;
  score: string;
}

export interface SeverityVerdict {
  severity: Severity;
  /** The CVSS base score when one was computed or given. */
  score: number | null;
}

/**
 * The severity of an advisory, or of one `affected` entry that carries its
 * own: its database_specific/ecosystem_specific word wins, then the first CVSS
 * v3 vector, then a plain number, else `unknown`.
 */
export function severityOf(input: {
  databaseSpecific?: Record<string, unknown> | null;
  ecosystemSpecific?: Record<string, unknown> | null;
  severity?: OsvSeverityEntry[] | null;
}): SeverityVerdict {
  const entries = input.severity ?? [];
  let score: number | null = null;
  for (const entry of entries) {
    const computed = cvss3BaseScore(entry.score);
    if (computed !== undefined) {
      score = computed;
      break;
    }
  }
  if (score === null) {
    const numeric = entries.map((e) => Number(e.score)).find((n) => Number.isFinite(n) && n >= 0 && n <= 10);
    if (numeric !== undefined) score = numeric;
  }
  const word =
    severityFromWord(input.ecosystemSpecific?.severity) ??
    severityFromWord(input.databaseSpecific?.severity) ??
    severityFromWord(input.ecosystemSpecific?.urgency);
  if (word) return { severity: word, score };
  return { severity: (score !== null ? severityFromScore(score) : undefined) ?? 'unknown', score };
}
