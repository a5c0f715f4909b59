// What a scan reads from a host, parsed: /etc/os-release, the dpkg database
// (dpkg-query), and apt's list of upgradable packages. Pure: the commands that
// produce these texts live in the scanner.

export interface OsRelease {
  id: string | null;
  versionId: string | null;
  versionCodename: string | null;
  idLike: string[];
  prettyName: string | null;
}

export interface InstalledPackage {
  name: string;
  version: string;
  architecture: string | null;
  /** The source package and its version (Debian advisories name source packages). */
  source: string;
  sourceVersion: string;
}

export interface UpgradablePackage {
  name: string;
  installed: string;
  candidate: string;
  suite: string | null;
}

/** os-release(5): KEY=value lines, values optionally quoted with shell-like escapes. */
export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    let value = line.slice(eq + 1);
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\([\\$"`])/g, '$1');
    }
    values.set(key, value);
  }
  const get = (key: string): string | null => values.get(key) || null;
  return {
    id: get('ID')?.toLowerCase() ?? null,
    versionId: get('VERSION_ID'),
    versionCodename: get('VERSION_CODENAME'),
    idLike: (get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    prettyName: get('PRETTY_NAME'),
  };
}

/**
 * The dpkg-query format the scanner asks for, one package a line:
 * name, version, status, architecture, source package, source version.
 */
export const DPKG_QUERY_FORMAT = '${Package}\\t${Version}\\t${Status}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\n';

/**
 * Installed packages from dpkg-query output: only those dpkg calls installed
 * (`install ok installed`, `hold ok installed`); removed packages with config
 * files left, half-installed ones and the like are not running code.
 */
export function parseDpkgQuery(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [name, version, status, architecture, source, sourceVersion] = line.split('\t');
    if (!name || !version || !status) continue;
    const words = status.trim().split(/\s+/);
    if (words[2] !== 'installed') continue;
    packages.push({
      name,
      version,
      architecture: architecture || null,
      source: source || name,
      sourceVersion: sourceVersion || version,
    });
  }
  return packages;
}

// `openssl/stable-security 3.0.15-1~deb12u1 amd64 [upgradable from: 3.0.11-1~deb12u2]`
const APT_UPGRADABLE = /^([a-z0-9][a-z0-9+.-]*)\/(\S+)\s+(\S+)\s+\S+\s+\[upgradable from: ([^\]\s]+)\]/;

export function parseAptUpgradable(text: string): UpgradablePackage[] {
  const upgradable: UpgradablePackage[] = [];
  for (const line of text.split('\n')) {
    const match = APT_UPGRADABLE.exec(line.trim());
    if (!match) continue;
    upgradable.push({
      name: match[1] as string,
      suite: (match[2] as string).split(',')[0] ?? null,
      candidate: match[3] as string,
      installed: match[4] as string,
    });
  }
  return upgradable;
}

/** Whether an OSV Debian ecosystem (`Debian`, `Debian:12`, `Debian:bookworm`) covers this host's OS. */
export function ecosystemAppliesTo(release: string | null, os: OsRelease): boolean {
  if (os.id !== 'debian') return false;
  if (release === null) return true;
  if (/^[0-9]+$/.test(release)) return (os.versionId ?? '').split('.')[0] === release;
  return os.versionCodename === release;
}
