// Pure decisions behind the Debian fleet's cached base image: which package
// versions go into the local repository, which openssh fits the oldest
// libssl3, the recipe hash that names the cache entry, bumped versions when the
// archive offers too few, and the OSV records for the versions found.
// No I/O here: debian-fleet.ts feeds it apt's answers.
import { createHash } from 'node:crypto';
import { compareDebianVersions } from '../../libs/scans/src/core/dpkg-version';

/** Bump this whenever the build steps change in a way the package list does not show. */
export const RECIPE_SCRIPT_VERSION = 3;

/** A source package of the local repository and the binaries the fleet uses from it. */
export interface RepoSourceSpec {
  source: string;
  /** Binaries that must exist at every chosen version (all are put in the repository). */
  binaries: string[];
  minVersions: number;
}

export const MULTI_SOURCE: RepoSourceSpec = {
  source: 'openssl',
  binaries: ['openssl', 'libssl3'],
  minVersions: 3,
};
/** nginx-light is the service; it pins nginx and nginx-common to its own version. */
export const SERVICE_SOURCE: RepoSourceSpec = {
  source: 'nginx',
  binaries: ['nginx-light', 'nginx', 'nginx-common'],
  minVersions: 2,
};
/** Other packages the repository carries (newest version) so the service's dependencies resolve. */
export const REPO_EXTRA_PACKAGES = ['libnginx-mod-http-echo'];
/** Binaries of one source whose version may have to be held back to accept the oldest libssl3. */
export const SSH_BINARIES = ['openssh-server', 'openssh-client', 'openssh-sftp-server'];
/** Installed in every host besides the repository's packages and openssh. */
export const BASE_PACKAGES = ['sudo', 'dpkg-repack', 'procps', 'init-system-helpers', 'iproute2', 'passwd', 'ca-certificates'];
export const SUITE = 'bookworm';

/** One record of `apt-cache show` (the fields we read). */
export interface AptRecord {
  package: string;
  version: string;
  source: string;
  depends: string;
  preDepends: string;
}

/** Parses `apt-cache show` / Packages output (RFC 822 paragraphs) into records. */
export function parseAptRecords(text: string): AptRecord[] {
  const records: AptRecord[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of paragraph.split('\n')) {
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
        continue;
      }
      const match = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
      if (!match) continue;
      last = match[1].toLowerCase();
      fields.set(last, match[2].trim());
    }
    const pkg = fields.get('package');
    const version = fields.get('version');
    if (!pkg || !version) continue;
    records.push({
      package: pkg,
      version,
      source: (fields.get('source') ?? pkg).split(/\s/)[0],
      depends: fields.get('depends') ?? '',
      preDepends: fields.get('pre-depends') ?? '',
    });
  }
  return records;
}

/** Versions of `apt-cache madison` output, per package. */
export function parseMadison(text: string): Map<string, string[]> {
  const versions = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const parts = line.split('|').map((p) => p.trim());
    if (parts.length < 3 || !parts[0] || !parts[1]) continue;
    const list = versions.get(parts[0]) ?? [];
    if (!list.includes(parts[1])) list.push(parts[1]);
    versions.set(parts[0], list);
  }
  return versions;
}

export const ascending = (versions: string[]): string[] => [...new Set(versions)].sort(compareDebianVersions);

/** Versions at which every binary of the spec exists, ascending. */
export function commonVersions(madison: Map<string, string[]>, binaries: string[]): string[] {
  const [first, ...rest] = binaries.map((b) => madison.get(b) ?? []);
  return ascending((first ?? []).filter((v) => rest.every((list) => list.includes(v))));
}

/**
 * The lowest version a record demands of `pkg` through `(>= X)` / `(>> X)` /
 * `(= X)` in Depends or Pre-Depends (undefined: no floor).
 */
export function versionFloor(record: AptRecord, pkg: string): string | undefined {
  let floor: string | undefined;
  const relations = `${record.depends},${record.preDepends}`;
  const pattern = new RegExp(`(?:^|[,|]\\s*)${pkg.replace(/[.+]/g, '\\$&')}(?::any)?\\s*\\((>=|>>|=)\\s*([^)\\s]+)\\)`, 'g');
  for (const match of relations.matchAll(pattern)) {
    if (floor === undefined || compareDebianVersions(match[2], floor) > 0) floor = match[2];
  }
  return floor;
}

/**
 * The newest version at which every one of `binaries` exists and accepts
 * `libVersion` of `lib` (its floor is at most that version), or undefined.
 */
export function newestAccepting(records: AptRecord[], binaries: string[], lib: string, libVersion: string): string | undefined {
  const byBinary = binaries.map((b) => records.filter((r) => r.package === b));
  const candidates = ascending(byBinary[0]?.map((r) => r.version) ?? []).reverse();
  return candidates.find((version) =>
    byBinary.every((list) => {
      const record = list.find((r) => r.version === version);
      if (!record) return false;
      const floor = versionFloor(record, lib);
      return floor === undefined || compareDebianVersions(floor, libVersion) <= 0;
    }),
  );
}

/** `3.0.22-1~deb12u2` → `3.0.22-1~deb12u2+vz1`, +vz2, …: newer than every real version. */
export function bumpedVersions(newest: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${newest}+vz${i + 1}`);
}

/**
 * A control file with every mention of `from` (Version, `(= from)` and
 * `(<< from.1~)` relations between binaries of one source) moved to `to`.
 */
export function bumpControl(control: string, from: string, to: string): string {
  const escaped = from.replace(/[.*+?^${}()|[\]\\~]/g, '\\$&');
  return control
    .split('\n')
    .map((line) => {
      if (/^Version:/.test(line)) return `Version: ${to}`;
      // Only relations, never descriptions: Depends, Pre-Depends, Breaks, Replaces, Provides, Source.
      if (/^(Depends|Pre-Depends|Breaks|Replaces|Provides|Recommends|Conflicts|Source):/.test(line))
        return line.replace(new RegExp(`(?<=[\\s(=])${escaped}(?=[\\s).]|$)`, 'g'), to);
      return line;
    })
    .join('\n');
}

export interface VersionChoice {
  /** Real versions from the archive, ascending. */
  real: string[];
  /** Bumped rebuilds of the newest real version, ascending, all newer than `real`. */
  bumped: string[];
}

/** Every real version found; rebuilds of the newest make up the minimum. */
export function chooseVersions(found: string[], minVersions: number): VersionChoice {
  const real = ascending(found);
  if (real.length === 0) throw new Error('no version found in the archive');
  const missing = Math.max(0, minVersions - real.length);
  return { real, bumped: bumpedVersions(real[real.length - 1], missing) };
}

export interface FleetRecipe {
  scriptVersion: number;
  suite: string;
  /** Contents of the apt sources used for the base (what mmdebstrap reads). */
  sources: string;
  basePackages: string[];
  multi: { source: string; binaries: string[]; versions: VersionChoice };
  service: { source: string; binaries: string[]; versions: VersionChoice };
  extraPackages: string[];
  ssh: { binaries: string[]; version: string };
}

/** The cache entry's name: a hash of everything the build depends on. */
export function recipeHash(recipe: FleetRecipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16);
}

/**
 * The recipe for the versions apt knows: every openssl version with a
 * matching libssl3, dropping old ones that no openssh accepts (the base must be
 * consistent), and the newest openssh that accepts the oldest kept libssl3.
 */
export function planRecipe(input: { madison: Map<string, string[]>; sshRecords: AptRecord[]; sources: string }): FleetRecipe {
  let opensslVersions = commonVersions(input.madison, MULTI_SOURCE.binaries);
  let sshVersion: string | undefined;
  while (opensslVersions.length > 0) {
    sshVersion = newestAccepting(input.sshRecords, SSH_BINARIES, 'libssl3', opensslVersions[0]);
    if (sshVersion) break;
    opensslVersions = opensslVersions.slice(1);
  }
  if (!sshVersion || opensslVersions.length === 0) throw new Error('no openssh-server in the archive accepts any libssl3 version found');
  return {
    scriptVersion: RECIPE_SCRIPT_VERSION,
    suite: SUITE,
    sources: input.sources,
    basePackages: BASE_PACKAGES,
    multi: {
      source: MULTI_SOURCE.source,
      binaries: MULTI_SOURCE.binaries,
      versions: chooseVersions(opensslVersions, MULTI_SOURCE.minVersions),
    },
    service: {
      source: SERVICE_SOURCE.source,
      binaries: SERVICE_SOURCE.binaries,
      versions: chooseVersions(commonVersions(input.madison, SERVICE_SOURCE.binaries), SERVICE_SOURCE.minVersions),
    },
    extraPackages: REPO_EXTRA_PACKAGES,
    ssh: { binaries: SSH_BINARIES, version: sshVersion },
  };
}

export const allVersions = (choice: VersionChoice): string[] => [...choice.real, ...choice.bumped];

/** CVE ids of the changelog entries newer than `since` (the entries up to the first older one). */
export function cvesSince(changelog: string, since: string): string[] {
  const cves = new Set<string>();
  for (const entry of changelog.split(/\n(?=\S+ \([^)]+\) )/)) {
    const header = /^\S+ \(([^)]+)\)/.exec(entry);
    if (!header) continue;
    if (compareDebianVersions(header[1], since) <= 0) break;
    for (const match of entry.matchAll(/CVE-\d{4}-\d{4,}/g)) cves.add(match[0]);
  }
  return [...cves].sort();
}

export interface OsvRecord {
  schema_version: string;
  id: string;
  modified: string;
  published: string;
  aliases: string[];
  summary: string;
  details: string;
  database_specific?: Record<string, unknown>;
  affected: {
    package: { ecosystem: string; name: string; purl: string };
    ranges: { type: 'ECOSYSTEM'; events: ({ introduced: string } | { fixed: string })[] }[];
  }[];
  references: { type: string; url: string }[];
}

/**
 * A Debian advisory (DSA-style) for `source` fixed in `fixed`. The CVE ids come
 * from the fixed package's own changelog; the DSA number is ours (the real one
 * was not found), marked by `database_specific.generated`.
 */
export function osvAdvisory(input: { id: string; source: string; fixed: string; cves: string[]; published: string }): OsvRecord {
  const cveText = input.cves.length > 0 ? input.cves.join(', ') : 'no CVE id in the changelog';
  return {
    schema_version: '1.6.0',
    id: input.id,
    modified: input.published,
    published: input.published,
    aliases: input.cves,
    summary: `${input.source}: security update`,
    details:
      `Security update of ${input.source} for Debian 12 (bookworm), fixed in ${input.fixed} ` +
      `(${cveText}, from the package changelog). Generated by test/fleet for the versions of the ` +
      `fleet's local repository.`,
    database_specific: { severity: 'HIGH', generated: 'test/fleet/debian-fleet' },
    affected: [
      {
        package: {
          ecosystem: 'Debian:12',
          name: input.source,
          purl: `pkg:deb/debian/${input.source}?arch=source`,
        },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: input.fixed }] }],
      },
    ],
    references: [
      {
        type: 'WEB',
        url: `https://security-tracker.debian.org/tracker/source-package/${input.source}`,
      },
    ],
  };
}
