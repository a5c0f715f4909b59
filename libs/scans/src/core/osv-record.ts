// OSV records (https://ossf.github.io/osv-schema/) as the import takes them:
// validated field by field (every problem named by its path), and reduced to
// what matching needs for the ecosystems VulnZero scans (Debian). Entries of
// other ecosystems are skipped and counted, never an error.
import { isDebianVersion } from './dpkg-version';
import { OsvSeverityEntry, Severity, severityOf } from './severity';

export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface AffectedPackage {
  ecosystem: string;
  /** `12` for `Debian:12`; null for plain `Debian` (every release). */
  release: string | null;
  name: string;
  /** ECOSYSTEM ranges: each a list of events as the record orders them. */
  ranges: RangeEvent[][];
  /** Versions listed as affected one by one. */
  versions: string[];
  severity: Severity;
  score: number | null;
}

export interface AdvisoryRecord {
  id: string;
  /** ISO 8601, as given. */
  modified: string;
  published: string | null;
  withdrawn: string | null;
  summary: string | null;
  aliases: string[];
  severity: Severity;
  score: number | null;
  affected: AffectedPackage[];
}

export type OsvValidation = { ok: true; record: AdvisoryRecord; skippedEcosystems: string[] } | { ok: false; problems: string[] };

const ID = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$/;
// RFC 3339 as OSV requires: date, time, optional fraction, Z or an offset.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DEBIAN_ECOSYSTEM = /^Debian(?::([0-9]+|[a-z]+))?$/;
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
const MAX_AFFECTED = 10_000;
const MAX_TEXT = 100_000;

/** Debian ecosystem of an OSV `package.ecosystem`, or null when it is another ecosystem. */
export function debianEcosystem(ecosystem: string): { release: string | null } | null {
  const match = DEBIAN_ECOSYSTEM.exec(ecosystem);
  return match ? { release: match[1] ?? null } : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

class Problems {
  readonly list: string[] = [];
  constructor(private readonly prefix: string) {}
  add(field: string, message: string): void {
    this.list.push(`${this.prefix}${field}: ${message}`);
  }
}

function optionalString(p: Problems, record: Record<string, unknown>, field: string): string | null {
  const value = record[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    p.add(field, 'must be a string');
    return null;
  }
  if (value.length > MAX_TEXT) p.add(field, `must be at most ${MAX_TEXT} characters`);
  return value;
}

function optionalObject(p: Problems, value: unknown, field: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    p.add(field, 'must be an object');
    return null;
  }
  return value;
}

function severityEntries(p: Problems, value: unknown, field: string): OsvSeverityEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    p.add(field, 'must be an array of {type, score}');
    return [];
  }
  const entries: OsvSeverityEntry[] = [];
  value.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.type !== 'string' || typeof entry.score !== 'string') {
      p.add(`${field}[${i}]`, 'must be an object {type: string, score: string}');
    } else {
      entries.push({ type: entry.type, score: entry.score });
    }
  });
  return entries;
}

function debianRange(p: Problems, range: unknown, field: string): RangeEvent[] | null {
  if (!isObject(range)) {
    p.add(field, 'must be an object {type, events}');
    return null;
  }
  if (range.type !== 'ECOSYSTEM') {
    p.add(`${field}.type`, 'must be "ECOSYSTEM" for a Debian package');
  }
  if (!Array.isArray(range.events) || range.events.length === 0) {
    p.add(`${field}.events`, 'must be a non-empty array');
    return null;
  }
  const events: RangeEvent[] = [];
  range.events.forEach((event, i) => {
    const at = `${field}.events[${i}]`;
    if (!isObject(event)) {
      p.add(at, 'must be an object with one of introduced, fixed, last_affected, limit');
      return;
    }
    const keys = Object.keys(event);
    const kind = EVENT_KINDS.find((k) => k in event);
    if (keys.length !== 1 || kind === undefined) {
      p.add(at, 'must have exactly one of introduced, fixed, last_affected, limit');
      return;
    }
    const version = event[kind];
    if (typeof version !== 'string') {
      p.add(`${at}.${kind}`, 'must be a string');
      return;
    }
    if (!(kind === 'introduced' && version === '0') && !isDebianVersion(version)) {
      p.add(`${at}.${kind}`, `${JSON.stringify(version.slice(0, 80))} is not a Debian version`);
      return;
    }
    events.push({ [kind]: version } as RangeEvent);
  });
  if (events.length > 0 && !events.some((e) => 'introduced' in e)) {
    p.add(`${field}.events`, 'must have an introduced event');
  }
  return events;
}

/**
 * Validates one OSV record (`index` names it in messages: `[3].affected[0].package.name`)
 * and reduces it to its Debian entries.
 */
export function validateOsvRecord(value: unknown, index: number): OsvValidation {
  const p = new Problems(`[${index}].`);
  if (!isObject(value)) return { ok: false, problems: [`[${index}]: must be an OSV object`] };
  const id = value.id;
  if (typeof id !== 'string' || !ID.test(id)) {
    p.add('id', 'is required: a string of letters, digits and . _ : + - (at most 200)');
  }
  if (!isTimestamp(value.modified)) p.add('modified', 'is required: an RFC 3339 timestamp such as 2026-01-31T12:00:00Z');
  for (const field of ['published', 'withdrawn'] as const) {
    if (value[field] !== undefined && value[field] !== null && !isTimestamp(value[field])) {
      p.add(field, 'must be an RFC 3339 timestamp');
    }
  }
  if (value.schema_version !== undefined && typeof value.schema_version !== 'string') p.add('schema_version', 'must be a string');
  const summary = optionalString(p, value, 'summary');
  optionalString(p, value, 'details');
  let aliases: string[] = [];
  if (value.aliases !== undefined && value.aliases !== null) {
    if (!Array.isArray(value.aliases) || value.aliases.some((a) => typeof a !== 'string' || !ID.test(a))) {
      p.add('aliases', 'must be an array of advisory ids (strings)');
    } else {
      aliases = [...new Set(value.aliases as string[])];
    }
  }
  if (
    value.related !== undefined &&
    value.related !== null &&
    (!Array.isArray(value.related) || value.related.some((a) => typeof a !== 'string'))
  ) {
    p.add('related', 'must be an array of strings');
  }
  const severity = severityEntries(p, value.severity, 'severity');
  const databaseSpecific = optionalObject(p, value.database_specific, 'database_specific');

  const affected: AffectedPackage[] = [];
  const skippedEcosystems: string[] = [];
  if (value.affected !== undefined && value.affected !== null) {
    if (!Array.isArray(value.affected)) {
      p.add('affected', 'must be an array');
    } else if (value.affected.length > MAX_AFFECTED) {
      p.add('affected', `must have at most ${MAX_AFFECTED} entries`);
    } else {
      value.affected.forEach((entry, i) => {
        const at = `affected[${i}]`;
        if (!isObject(entry)) return p.add(at, 'must be an object');
        const pkg = entry.package;
        if (!isObject(pkg)) return p.add(`${at}.package`, 'must be an object {ecosystem, name}');
        if (typeof pkg.ecosystem !== 'string' || pkg.ecosystem === '') {
          return p.add(`${at}.package.ecosystem`, 'must be a non-empty string');
        }
        if (typeof pkg.name !== 'string' || pkg.name === '') return p.add(`${at}.package.name`, 'must be a non-empty string');
        const debian = debianEcosystem(pkg.ecosystem);
        if (!debian) {
          skippedEcosystems.push(pkg.ecosystem);
          return;
        }
        if (!DEBIAN_PACKAGE.test(pkg.name)) p.add(`${at}.package.name`, 'must be a Debian package name');
        const ranges: RangeEvent[][] = [];
        if (entry.ranges !== undefined && entry.ranges !== null) {
          if (!Array.isArray(entry.ranges)) p.add(`${at}.ranges`, 'must be an array');
          else
            entry.ranges.forEach((range, r) => {
              const events = debianRange(p, range, `${at}.ranges[${r}]`);
              if (events) ranges.push(events);
            });
        }
        let versions: string[] = [];
        if (entry.versions !== undefined && entry.versions !== null) {
          if (!Array.isArray(entry.versions) || entry.versions.some((v) => typeof v !== 'string')) {
            p.add(`${at}.versions`, 'must be an array of strings');
          } else {
            const bad = (entry.versions as string[]).findIndex((v) => !isDebianVersion(v));
            if (bad >= 0) p.add(`${at}.versions[${bad}]`, 'is not a Debian version');
            versions = entry.versions as string[];
          }
        }
        if (ranges.length === 0 && versions.length === 0) {
          p.add(at, 'must list affected versions: ranges or versions');
        }
        const own = severityOf({
          ecosystemSpecific: optionalObject(p, entry.ecosystem_specific, `${at}.ecosystem_specific`),
          databaseSpecific: optionalObject(p, entry.database_specific, `${at}.database_specific`),
          severity: severityEntries(p, entry.severity, `${at}.severity`),
        });
        affected.push({ ecosystem: pkg.ecosystem, release: debian.release, name: pkg.name, ranges, versions, ...own });
      });
    }
  }
  if (p.list.length > 0) return { ok: false, problems: p.list };

  const overall = severityOf({ databaseSpecific, severity });
  return {
    ok: true,
    skippedEcosystems,
    record: {
      id: id as string,
      modified: value.modified as string,
      published: (value.published as string | undefined) ?? null,
      withdrawn: (value.withdrawn as string | undefined) ?? null,
      summary,
      aliases,
      severity: overall.severity,
      score: overall.score,
      // An entry without a severity of its own takes the advisory's.
      affected: affected.map((a) =>
        a.severity === 'unknown' && a.score === null ? { ...a, severity: overall.severity, score: overall.score } : a,
      ),
    },
  };
}
