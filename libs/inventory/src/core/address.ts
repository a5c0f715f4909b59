// Which addresses a host may have: an IPv4 literal, an IPv6 literal or a DNS
// name (RFC 1123 host name). Checked before anything is stored so that the
// deploy engine never hands ssh2 something it would resolve surprisingly.
import { isIPv6 } from 'node:net';

export const MAX_ADDRESS_LENGTH = 253;

const IPV4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Dotted quad, four decimal octets 0–255, no leading zeros (010 would read as octal elsewhere). */
export function isIPv4Address(value: string): boolean {
  const octets = value.split('.');
  return octets.length === 4 && octets.every((o) => IPV4_OCTET.test(o) && Number(o) <= 255);
}

/** A plain IPv6 literal: no brackets, no zone id (`%eth0` only means something on one machine). */
export function isIPv6Address(value: string): boolean {
  return !value.includes('%') && isIPv6(value);
}

/**
 * RFC 1123 host name: dot-separated labels of letters, digits and hyphens, 1–63
 * each, not starting or ending with a hyphen, 253 characters in all. A name
 * whose last label is all digits is refused (RFC 3696 §2): it is a mistyped
 * IPv4 address, and resolvers treat it as one.
 */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_ADDRESS_LENGTH) return false;
  const labels = value.split('.');
  if (!labels.every((label) => DNS_LABEL.test(label))) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1] as string);
}

/** Null when `value` is a usable host address, else why not (for a 400 naming the field). */
export function addressProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_ADDRESS_LENGTH) return `must be at most ${MAX_ADDRESS_LENGTH} characters`;
  if (value !== value.trim()) return 'must not have leading or trailing spaces';
  if (isIPv4Address(value) || isIPv6Address(value) || isDnsName(value)) return null;
  if (/^\[.*\]$/.test(value)) return 'an IPv6 address is given without brackets';
  if (value.includes('%')) return 'IPv6 zone ids are not supported';
  if (/^[0-9.]+$/.test(value)) return 'is not a valid IPv4 address (four octets 0-255, no leading zeros)';
  if (value.includes(':')) return 'is not a valid IPv6 address (a port goes in the port field)';
  return 'must be an IPv4 address, an IPv6 address or a DNS name (RFC 1123)';
}
