// Which advisories a host's installed packages are affected by: the pure
// join of a scan's inventory with the imported advisories.
import { evaluateVersion } from './affected-range';
import type { RangeEvent } from './osv-record';
import { ecosystemAppliesTo, InstalledPackage, OsRelease } from './host-inventory';
import { Severity, SEVERITY_RANK } from './severity';

/** One affected-package entry of an imported advisory, as matching reads it. */
export interface AdvisoryPackage {
  advisoryId: string;
  aliases: string[];
  release: string | null;
  name: string;
  ranges: RangeEvent[][];
  versions: string[];
  severity: Severity;
  score: number | null;
}

export interface HostMatch {
  advisoryId: string;
  /** The binary package installed on the host (what apt installs). */
  package: string;
  /** The package name the advisory matched: the binary's own or its source's. */
  matchedName: string;
  installedVersion: string;
  fixedVersion: string | null;
  severity: Severity;
  score: number | null;
  aliases: string[];
}

export type SeverityCounts = Record<Severity, number>;

export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

export function countBySeverity(items: { severity: Severity }[]): SeverityCounts {
  const counts = emptySeverityCounts();
  for (const item of items) counts[item.severity]++;
  return counts;
}

/**
 * Matches each installed package against the advisory entries naming it,
 * first by binary name (its own version), else by source name (the source
 * version: Debian advisories are per source package). One match per package
 * and advisory; when an advisory has entries for both `Debian` and
 * `Debian:12`, the most severe wins.
 */
export function matchHost(os: OsRelease, packages: InstalledPackage[], advisories: AdvisoryPackage[]): HostMatch[] {
  const byName = new Map<string, AdvisoryPackage[]>();
  for (const entry of advisories) {
    if (!ecosystemAppliesTo(entry.release, os)) continue;
    byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
  }
  const matches = new Map<string, HostMatch>();
  for (const pkg of packages) {
    const candidates: [AdvisoryPackage, string, string][] = [
      ...(byName.get(pkg.name) ?? []).map((e) => [e, pkg.name, pkg.version] as [AdvisoryPackage, string, string]),
      ...(pkg.source !== pkg.name ? (byName.get(pkg.source) ?? []) : []).map(
        (e) => [e, pkg.source, pkg.sourceVersion] as [AdvisoryPackage, string, string],
      ),
    ];
    for (const [entry, matchedName, version] of candidates) {
      let verdict;
      try {
        verdict = evaluateVersion(version, entry);
      } catch {
        continue; // a version dpkg itself could not order: nothing to claim
      }
      if (!verdict.affected) continue;
      const key = `${pkg.name}\u0000${entry.advisoryId}`;
      const previous = matches.get(key);
      if (previous && SEVERITY_RANK[previous.severity] >= SEVERITY_RANK[entry.severity]) continue;
      matches.set(key, {
        advisoryId: entry.advisoryId,
        package: pkg.name,
        matchedName,
        installedVersion: pkg.version,
        // The fix is a source version; for a binary matched by its own name it is its version.
        fixedVersion: verdict.fixed,
        severity: entry.severity,
        score: entry.score,
        aliases: entry.aliases,
      });
    }
  }
  return [...matches.values()].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.package.localeCompare(b.package) ||
      a.advisoryId.localeCompare(b.advisoryId),
  );
}
