// IP addresses and CIDR networks, without Node's resolver or sockets: which
// addresses hosts may have (HOST_NETWORKS) and how clients are grouped for
// rate limits (an IPv6 client is counted per /64, the block one subscriber gets).

export interface IpAddress {
  version: 4 | 6;
  /** 4 or 16 bytes, network order. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is read as its IPv4 address. */
  bytes: number[];
}

export interface IpNetwork {
  version: 4 | 6;
  bytes: number[];
  prefix: number;
  /** As written in the list, for messages. */
  text: string;
}

/** An allow list with exceptions: an address is allowed when some `allow` network holds it and no `deny` network does. */
export interface NetworkPolicy {
  allow: IpNetwork[];
  deny: IpNetwork[];
}

/** Everything but link-local (where cloud metadata services answer): the default of HOST_NETWORKS. */
export const DEFAULT_HOST_NETWORKS = '0.0.0.0/0,::/0,!169.254.0.0/16,!fe80::/10';

const IPV4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEXTET = /^[0-9a-f]{1,4}$/i;

function parseIpv4(text: string): number[] | null {
  const octets = text.split('.');
  if (octets.length !== 4 || !octets.every((o) => IPV4_OCTET.test(o) && Number(o) <= 255)) return null;
  return octets.map(Number);
}

function parseIpv6(text: string): number[] | null {
  if (text.includes('%')) return null;
  let head = text;
  let tail: number[] = [];
  // A dotted quad may end an IPv6 address (`::ffff:10.0.0.1`): two hextets' worth.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    head = text.slice(0, lastColon) + (text.slice(0, lastColon).endsWith(':') ? ':' : '');
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0] as string);
  const right = halves.length === 2 ? groups(halves[1] as string) : [];
  const hextets = 8 - tail.length / 2;
  if (![...left, ...right].every((g) => HEXTET.test(g))) return null;
  const missing = hextets - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const words = [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => parseInt(g, 16));
  return [...words.flatMap((w) => [w >> 8, w & 0xff]), ...tail];
}

/** An IPv4 or IPv6 literal, or null. IPv4-mapped IPv6 addresses are their IPv4 address, so a mapped form cannot slip past an IPv4 rule. */
export function parseIpAddress(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 };
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Host bits must be zero. */
export function parseIpNetwork(text: string): IpNetwork | null {
  const [addressText, prefixText, extra] = text.split('/');
  if (extra !== undefined || !addressText) return null;
  const address = parseIpv4(addressText) ? { version: 4 as const, bytes: parseIpv4(addressText) as number[] } : null;
  const v6 = address ? null : parseIpv6(addressText);
  const parsed = address ?? (v6 ? { version: 6 as const, bytes: v6 } : null);
  if (!parsed) return null;
  const bits = parsed.bytes.length * 8;
  if (prefixText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  const network = { ...parsed, prefix, text };
  return sameBits(parsed.bytes, masked(parsed.bytes, prefix), bits) ? network : null;
}

function masked(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function sameBits(a: number[], b: number[], bits: number): boolean {
  for (let i = 0; i < bits / 8; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.version !== address.version) return false;
  return sameBits(masked(address.bytes, network.prefix), network.bytes, address.bytes.length * 8);
}

/**
 * A comma-separated list of networks, `!` before a network excepting it:
 * `10.0.0.0/8,!10.9.0.0/16`. Throws a message naming the bad entry.
 */
export function parseNetworkPolicy(raw: string): NetworkPolicy {
  const policy: NetworkPolicy = { allow: [], deny: [] };
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const deny = entry.startsWith('!');
    const network = parseIpNetwork(deny ? entry.slice(1).trim() : entry);
    if (!network) throw new Error(`"${entry}" is not a network (CIDR like 10.0.0.0/8 or 2001:db8::/32, with zero host bits)`);
    (deny ? policy.deny : policy.allow).push({ ...network, text: entry });
  }
  if (policy.allow.length === 0) throw new Error('allows no network (list at least one, e.g. 10.0.0.0/8)');
  return policy;
}

/** Null when `address` (an IP literal) is allowed by `policy`, else why not. */
export function addressRefusal(policy: NetworkPolicy, address: string): string | null {
  const ip = parseIpAddress(address);
  if (!ip) return `${address} is not an IP address`;
  const denied = policy.deny.find((n) => networkContains(n, ip));
  if (denied) return `${address} is in ${denied.text.slice(1).trim()}, excepted by HOST_NETWORKS`;
  if (!policy.allow.some((n) => networkContains(n, ip)))
    return `${address} is outside HOST_NETWORKS (${policy.allow.map((n) => n.text).join(', ')})`;
  return null;
}

/**
 * The group a client address is counted in by rate limits: an IPv4 address
 * itself, an IPv6 address's /64 (a subscriber usually holds a whole /64, and
 * counting single addresses there would count nothing). Text that is no IP
 * address is its own group.
 */
export function clientAddressGroup(address: string): string {
  const ip = parseIpAddress(address);
  if (!ip) return address;
  if (ip.version === 4) return ip.bytes.join('.');
  const words = [0, 2, 4, 6].map((i) => (((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number)).toString(16));
  return `${words.join(':')}::/64`;
}
