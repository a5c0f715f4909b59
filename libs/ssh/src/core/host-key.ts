// Host key pinning, in pure form: parse and validate an OpenSSH public key line
// (`type base64 [comment]`), fingerprint it the way `ssh-keygen -l` does, and
// compare two keys. No ssh2 here: the connector turns these values into its
// hostVerifier, and the inventory validates `POST /hosts {hostKey}` with them.
import { createHash } from 'node:crypto';

export const HOST_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;

export type HostKeyType = (typeof HOST_KEY_TYPES)[number];

export interface HostKey {
  type: HostKeyType;
  /** The decoded key blob (RFC 4253 §6.6 encoding), what the server presents in KEX. */
  blob: Buffer;
  /** Canonical base64 of `blob`. */
  base64: string;
  comment?: string;
}

export class InvalidHostKeyError extends Error {
  override readonly name = 'InvalidHostKeyError';
  constructor(readonly reason: string) {
    super(`invalid host key: ${reason}`);
  }
}

export type HostKeyValidation = { valid: true; key: HostKey } | { valid: false; reason: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function isHostKeyType(value: string): value is HostKeyType {
  return (HOST_KEY_TYPES as readonly string[]).includes(value);
}

/** Reads the SSH wire-format `string`/`mpint` fields (uint32 length + bytes) of a key blob. */
function readSshFields(blob: Buffer): Buffer[] | undefined {
  const fields: Buffer[] = [];
  let offset = 0;
  while (offset < blob.length) {
    if (offset + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(offset);
    offset += 4;
    if (offset + length > blob.length) return undefined;
    fields.push(blob.subarray(offset, offset + length));
    offset += length;
  }
  return fields;
}

/** Checks the fields after the type string have the shape the type requires. */
function keyBodyProblem(type: HostKeyType, fields: Buffer[]): string | undefined {
  switch (type) {
    case 'ssh-ed25519':
      return fields.length === 2 && fields[1].length === 32 ? undefined : 'ssh-ed25519 key must hold one 32-byte public key';
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = type.slice('ecdsa-sha2-'.length);
      if (fields.length !== 3) return `${type} key must hold a curve name and a point`;
      if (fields[1].toString('latin1') !== curve) return `${type} key names curve "${fields[1].toString('latin1')}"`;
      return fields[2].length > 0 && fields[2][0] === 0x04 ? undefined : `${type} key point must be uncompressed`;
    }
    case 'ssh-rsa':
      return fields.length === 3 && fields[1].length > 0 && fields[2].length > 0
        ? undefined
        : 'ssh-rsa key must hold an exponent and a modulus';
  }
}

export function validateHostKey(line: string): HostKeyValidation {
  if (typeof line !== 'string') return { valid: false, reason: 'not a string' };
  if (/[\r\n]/.test(line.trim())) return { valid: false, reason: 'must be a single line' };
  const parts = line.trim().split(/[ \t]+/);
  if (parts.length < 2 || parts[0] === '') {
    return { valid: false, reason: 'expected "<type> <base64> [comment]"' };
  }
  const [declared, base64, ...comment] = parts;
  if (!isHostKeyType(declared)) {
    return {
      valid: false,
      reason: `unsupported key type "${declared}" (expected one of ${HOST_KEY_TYPES.join(', ')})`,
    };
  }
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) {
    return { valid: false, reason: 'key data is not valid base64' };
  }
  const blob = Buffer.from(base64, 'base64');
  if (blob.toString('base64') !== base64) {
    return { valid: false, reason: 'key data is not canonical base64' };
  }
  const fields = readSshFields(blob);
  if (fields === undefined || fields.length === 0) {
    return { valid: false, reason: 'key data is not an SSH public key blob' };
  }
  const embedded = fields[0].toString('latin1');
  if (embedded !== declared) {
    return {
      valid: false,
      reason: `declared type "${declared}" but the key data is "${embedded}"`,
    };
  }
  const problem = keyBodyProblem(declared, fields);
  if (problem !== undefined) return { valid: false, reason: problem };
  return {
    valid: true,
    key: {
      type: declared,
      blob,
      base64,
      ...(comment.length > 0 ? { comment: comment.join(' ') } : {}),
    },
  };
}

/** Parses an OpenSSH public key line; throws InvalidHostKeyError with the reason. */
export function parseHostKey(line: string): HostKey {
  const result = validateHostKey(line);
  if (!result.valid) throw new InvalidHostKeyError(result.reason);
  return result.key;
}

/**
 * Parses a raw key blob as presented by a server during key exchange
 * (the inverse of formatHostKey), validating it the same way as a line.
 */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  const fields = readSshFields(blob);
  const type = fields?.[0]?.toString('latin1') ?? '';
  return parseHostKey(`${type} ${blob.toString('base64')}`);
}

/** `SHA256:<base64 without padding>`, identical to `ssh-keygen -l -E sha256`. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The OpenSSH line `type base64`, without comment. */
export function formatHostKey(key: Pick<HostKey, 'type' | 'blob'>): string {
  return `${key.type} ${key.blob.toString('base64')}`;
}

/** Same key material and type; comments and whitespace do not matter. */
export function sameHostKey(a: string | HostKey, b: string | HostKey): boolean {
  const left = typeof a === 'string' ? validateHostKey(a) : { valid: true as const, key: a };
  const right = typeof b === 'string' ? validateHostKey(b) : { valid: true as const, key: b };
  if (!left.valid || !right.valid) return false;
  return left.key.type === right.key.type && left.key.blob.equals(right.key.blob);
}

/**
 * The server host key algorithms to offer so that the server signs with the
 * pinned key's type (a server with both RSA and Ed25519 keys would otherwise
 * present whichever the client prefers, and a correct pin would look wrong).
 */
export function hostKeyAlgorithmsFor(type: HostKeyType): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}
