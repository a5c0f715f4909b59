// Is an installed Debian version affected by an OSV entry, and which version
// fixes it? The OSV evaluation algorithm over ECOSYSTEM ranges, with dpkg's
// ordering: events sorted by version; `introduced` opens, `fixed` and `limit`
// close at their version, `last_affected` closes after its version.
import { compareDebianVersions } from './dpkg-version';
import type { RangeEvent } from './osv-record';

export interface AffectedSpec {
  ranges: RangeEvent[][];
  versions: string[];
}

export interface VersionVerdict {
  affected: boolean;
  /** The lowest version that fixes every range this version is in; null when none is known. */
  fixed: string | null;
}

function eventVersion(event: RangeEvent): string {
  return 'introduced' in event
    ? event.introduced
    : 'fixed' in event
      ? event.fixed
      : 'last_affected' in event
        ? event.last_affected
        : event.limit;
}

function compareEvents(a: RangeEvent, b: RangeEvent): number {
  const va = eventVersion(a);
  const vb = eventVersion(b);
  // "0" is OSV's "since the beginning": before every version.
  const aZero = 'introduced' in a && va === '0';
  const bZero = 'introduced' in b && vb === '0';
  if (aZero || bZero) return aZero === bZero ? 0 : aZero ? -1 : 1;
  return compareDebianVersions(va, vb);
}

/** Whether `installed` falls in one range (OSV schema, "Evaluation"). */
export function inRange(installed: string, events: RangeEvent[]): boolean {
  let affected = false;
  for (const event of [...events].sort(compareEvents)) {
    if ('introduced' in event) {
      if (event.introduced === '0' || compareDebianVersions(installed, event.introduced) >= 0) affected = true;
    } else if ('fixed' in event) {
      if (compareDebianVersions(installed, event.fixed) >= 0) affected = false;
    } else if ('last_affected' in event) {
      if (compareDebianVersions(installed, event.last_affected) > 0) affected = false;
    } else if (compareDebianVersions(installed, event.limit) >= 0) {
      affected = false;
    }
  }
  return affected;
}

/** The lowest `fixed` of a range above `installed`. */
function fixOf(installed: string, events: RangeEvent[]): string | null {
  const fixes = events
    .flatMap((e) => ('fixed' in e ? [e.fixed] : []))
    .filter((v) => compareDebianVersions(v, installed) > 0)
    .sort(compareDebianVersions);
  return fixes[0] ?? null;
}

export function evaluateVersion(installed: string, spec: AffectedSpec): VersionVerdict {
  const hitRanges = spec.ranges.filter((events) => inRange(installed, events));
  const listed = spec.versions.some((v) => compareDebianVersions(v, installed) === 0);
  if (hitRanges.length === 0 && !listed) return { affected: false, fixed: null };
  if (hitRanges.length === 0) {
    // Listed one by one only: a fix is whatever the ranges (if any) say comes next.
    const candidates = spec.ranges.map((r) => fixOf(installed, r)).filter((v): v is string => v !== null);
    return { affected: true, fixed: candidates.sort(compareDebianVersions)[0] ?? null };
  }
  const fixes = hitRanges.map((r) => fixOf(installed, r));
  if (fixes.some((f) => f === null)) return { affected: true, fixed: null };
  // Every range this version is in must be left: the highest of their fixes.
  return { affected: true, fixed: (fixes as string[]).sort(compareDebianVersions)[fixes.length - 1] as string };
}
