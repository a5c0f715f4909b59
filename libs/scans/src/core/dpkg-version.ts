// dpkg's version comparison (lib/dpkg/version.c and parsehelp.c), so that
// Debian ranges match exactly as apt and dpkg order versions:
// [epoch:]upstream[-revision]; epochs compare as numbers; upstream and revision
// compare with verrevcmp, where `~` sorts before everything (even the end of
// the string), letters sort before non-letters, and digit runs compare as numbers.

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export class InvalidDebianVersionError extends Error {
  constructor(
    readonly version: string,
    readonly reason: string,
  ) {
    super(`invalid Debian version ${JSON.stringify(version)}: ${reason}`);
    this.name = 'InvalidDebianVersionError';
  }
}

const MAX_EPOCH = 2_147_483_647; // dpkg keeps the epoch in an int
const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]*$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]*$/;

/**
 * Parses like dpkg's parseversion: surrounding blanks are ignored; the epoch
 * is everything before the first `:`; the revision is everything after the
 * last `-`. What dpkg only warns about (an upstream part not starting with a
 * digit, characters outside policy) is refused unless `lenient`, which is
 * what comparing does, as `dpkg --compare-versions` does.
 */
export function parseDebianVersion(input: string, options: { lenient?: boolean } = {}): DebianVersion {
  const text = input.trim();
  if (text === '') throw new InvalidDebianVersionError(input, 'version string is empty');
  if (/\s/.test(text)) throw new InvalidDebianVersionError(input, 'version string has embedded spaces');
  let epoch = 0;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (epochText === '') throw new InvalidDebianVersionError(input, 'epoch in version is empty');
    if (!/^[0-9]+$/.test(epochText)) throw new InvalidDebianVersionError(input, 'epoch in version is not number');
    epoch = Number(epochText);
    if (epoch > MAX_EPOCH) throw new InvalidDebianVersionError(input, 'epoch in version is too big');
    rest = text.slice(colon + 1);
    if (rest === '') throw new InvalidDebianVersionError(input, 'nothing after colon in version number');
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision === '') throw new InvalidDebianVersionError(input, 'revision number is empty');
  if (upstream === '') throw new InvalidDebianVersionError(input, 'version number is empty');
  if (options.lenient) return { epoch, upstream, revision };
  if (!/^[0-9]/.test(upstream)) throw new InvalidDebianVersionError(input, 'version number does not start with digit');
  if (!UPSTREAM_CHARS.test(upstream)) throw new InvalidDebianVersionError(input, 'invalid character in version number');
  if (!REVISION_CHARS.test(revision)) throw new InvalidDebianVersionError(input, 'invalid character in revision number');
  return { epoch, upstream, revision };
}

export function isDebianVersion(input: string): boolean {
  try {
    parseDebianVersion(input);
    return true;
  } catch {
    return false;
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** dpkg's order(): `~` first, then the end of the string and digits, letters, then everything else. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: negative, zero or positive, as strcmp. */
export function compareVersionPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : NaN);
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 48) i++;
    while (at(b, j) === 48) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

const LENIENT = { lenient: true };

/** -1, 0 or 1 as `a` sorts before, equal to or after `b` (dpkg_version_compare). */
export function compareDebianVersions(a: string | DebianVersion, b: string | DebianVersion): -1 | 0 | 1 {
  const va = typeof a === 'string' ? parseDebianVersion(a, LENIENT) : a;
  const vb = typeof b === 'string' ? parseDebianVersion(b, LENIENT) : b;
  if (va.epoch !== vb.epoch) return va.epoch > vb.epoch ? 1 : -1;
  const upstream = compareVersionPart(va.upstream, vb.upstream);
  if (upstream !== 0) return sign(upstream);
  return sign(compareVersionPart(va.revision, vb.revision));
}

export type DpkgRelation = 'lt' | 'le' | 'eq' | 'ne' | 'ge' | 'gt' | '<<' | '<=' | '=' | '>=' | '>>';

/** `dpkg --compare-versions a op b` for the non-empty operators. */
export function debianVersionsRelate(a: string, relation: DpkgRelation, b: string): boolean {
  const c = compareDebianVersions(a, b);
  switch (relation) {
    case 'lt':
    case '<<':
      return c < 0;
    case 'le':
    case '<=':
      return c <= 0;
    case 'eq':
    case '=':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'ge':
    case '>=':
      return c >= 0;
    case 'gt':
    case '>>':
      return c > 0;
  }
}
