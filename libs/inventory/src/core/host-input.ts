// What a host registration must look like, checked field by field so that a
// 400 names every bad field of every bad item (`hosts[3].address: …`) in one
// answer. The same rules back the single-host DTO, the bulk route and any
// service caller, so they cannot drift apart.
import { fingerprintSha256, formatHostKey, validateHostKey } from '../../../ssh/src/core/host-key';
import { addressProblem } from './address';
import { Labels, labelsProblems } from './labels';

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;
export const DEFAULT_SSH_PORT = 22;
export const MAX_BULK_HOSTS = 1000;
const MAX_HOST_KEY_LENGTH = 16 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const HOST_FIELDS = ['name', 'address', 'port', 'credentialId', 'labels', 'hostKey'] as const;

/** A validated host registration, with the host key normalized to `type base64`. */
export interface HostDraft {
  name: string;
  address: string;
  port: number;
  credentialId: string;
  labels: Labels;
  hostKey: PinnedKey | null;
}

export interface PinnedKey {
  /** `type base64`, comment dropped. */
  line: string;
  fingerprint: string;
}

/** A validated PATCH: only the fields given. `hostKey: null` unpins. */
export interface HostPatch {
  name?: string;
  address?: string;
  port?: number;
  credentialId?: string;
  labels?: Labels;
  hostKey?: PinnedKey | null;
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function nameProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  return NAME_PATTERN.test(value) ? null : 'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit';
}

export function portProblem(value: unknown): string | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535 ? null : 'must be an integer from 1 to 65535';
}

export function uuidProblem(value: unknown): string | null {
  return isUuid(value) ? null : 'must be a UUID';
}

export function hostKeyProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be an OpenSSH public key line (ssh-ed25519 AAAA…)';
  if (value.length > MAX_HOST_KEY_LENGTH) return `must be at most ${MAX_HOST_KEY_LENGTH} characters`;
  const result = validateHostKey(value);
  return result.valid ? null : `is not a valid OpenSSH public key line: ${result.reason}`;
}

/** Parses a host key line already checked by hostKeyProblem. */
export function pinnedKeyOf(line: string): PinnedKey {
  const result = validateHostKey(line);
  if (!result.valid) throw new Error(`invalid host key: ${result.reason}`);
  return { line: formatHostKey(result.key), fingerprint: fingerprintSha256(result.key.blob) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function at(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

type Rule = (value: unknown) => string | null;
const RULES: Record<Exclude<(typeof HOST_FIELDS)[number], 'labels'>, Rule> = {
  name: nameProblem,
  address: addressProblem,
  port: portProblem,
  credentialId: uuidProblem,
  hostKey: hostKeyProblem,
};

function fieldProblems(field: (typeof HOST_FIELDS)[number], value: unknown, path: string): string[] {
  if (field === 'labels') return labelsProblems(value).map((p) => `${at(path, 'labels')}: ${p}`);
  const problem = RULES[field](value);
  return problem ? [`${at(path, field)}: ${problem}`] : [];
}

function unknownFieldProblems(raw: Record<string, unknown>, path: string): string[] {
  return Object.keys(raw)
    .filter((key) => !(HOST_FIELDS as readonly string[]).includes(key))
    .map((key) => `${at(path, key.slice(0, 64))}: is not an allowed field`);
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** One host registration; `path` prefixes every message (`hosts[3]`, or '' for a single host). */
export function validateHostDraft(raw: unknown, path = ''): Validated<HostDraft> {
  if (!isPlainObject(raw)) return { ok: false, errors: [`${path || 'body'}: must be an object`] };
  const errors = unknownFieldProblems(raw, path);
  for (const field of ['name', 'address', 'credentialId'] as const) {
    if (raw[field] === undefined) errors.push(`${at(path, field)}: is required`);
    else errors.push(...fieldProblems(field, raw[field], path));
  }
  for (const field of ['port', 'labels', 'hostKey'] as const) {
    if (raw[field] !== undefined && raw[field] !== null) errors.push(...fieldProblems(field, raw[field], path));
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: raw.name as string,
      address: (raw.address as string).toLowerCase(),
      port: (raw.port as number | undefined | null) ?? DEFAULT_SSH_PORT,
      credentialId: (raw.credentialId as string).toLowerCase(),
      labels: { ...((raw.labels as Labels | undefined | null) ?? {}) },
      hostKey: typeof raw.hostKey === 'string' ? pinnedKeyOf(raw.hostKey) : null,
    },
  };
}

/**
 * A whole batch: every bad item named by index and field, all of them at once.
 * Names are compared case-insensitively, like the unique index.
 */
export function validateHostBatch(raw: unknown, path = 'hosts'): Validated<HostDraft[]> {
  if (!Array.isArray(raw)) return { ok: false, errors: [`${path}: must be an array`] };
  if (raw.length === 0) return { ok: false, errors: [`${path}: must hold at least one host`] };
  if (raw.length > MAX_BULK_HOSTS) {
    return { ok: false, errors: [`${path}: at most ${MAX_BULK_HOSTS} hosts per call, got ${raw.length}`] };
  }
  const drafts: HostDraft[] = [];
  const errors: string[] = [];
  raw.forEach((item, index) => {
    const result = validateHostDraft(item, `${path}[${index}]`);
    if (result.ok) drafts.push(result.value);
    else errors.push(...result.errors);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: drafts };
}

/** Names that occur more than once in a batch, with every index they occur at. */
export function duplicateNames(names: readonly string[]): { name: string; indexes: number[] }[] {
  const seen = new Map<string, { name: string; indexes: number[] }>();
  names.forEach((name, index) => {
    const key = name.toLowerCase();
    const entry = seen.get(key) ?? { name, indexes: [] };
    entry.indexes.push(index);
    seen.set(key, entry);
  });
  return [...seen.values()].filter((entry) => entry.indexes.length > 1);
}

/** A PATCH body: any subset of the fields; `hostKey: null` unpins, other nulls are refused. */
export function validateHostPatch(raw: unknown): Validated<HostPatch> {
  if (!isPlainObject(raw)) return { ok: false, errors: ['body: must be an object'] };
  const errors = unknownFieldProblems(raw, '');
  for (const field of HOST_FIELDS) {
    if (raw[field] === undefined || (field === 'hostKey' && raw[field] === null)) continue;
    errors.push(...fieldProblems(field, raw[field], ''));
  }
  if (errors.length > 0) return { ok: false, errors };
  const patch: HostPatch = {};
  if (raw.name !== undefined) patch.name = raw.name as string;
  if (raw.address !== undefined) patch.address = (raw.address as string).toLowerCase();
  if (raw.port !== undefined) patch.port = raw.port as number;
  if (raw.credentialId !== undefined) patch.credentialId = (raw.credentialId as string).toLowerCase();
  if (raw.labels !== undefined) patch.labels = { ...(raw.labels as Labels) };
  if (raw.hostKey !== undefined) patch.hostKey = raw.hostKey === null ? null : pinnedKeyOf(raw.hostKey as string);
  return { ok: true, value: patch };
}

export interface HostEndpointState {
  address: string;
  port: number;
  hostKey: PinnedKey | null;
}

/**
 * The pin a host keeps after a PATCH. A pinned key vouches for one endpoint:
 * moving the host to another address or port unpins it unless the same
 * request pins the key of the new endpoint, so the engine never connects to
 * a new machine on the strength of the old machine's key.
 */
export function hostKeyAfterPatch(
  current: HostEndpointState,
  patch: HostPatch,
): {
  hostKey: PinnedKey | null;
  changed: boolean;
} {
  if (patch.hostKey !== undefined) {
    const same = patch.hostKey?.line === current.hostKey?.line;
    return { hostKey: patch.hostKey, changed: !same };
  }
  const moved =
    (patch.address !== undefined && patch.address !== current.address) || (patch.port !== undefined && patch.port !== current.port);
  if (moved && current.hostKey) return { hostKey: null, changed: true };
  return { hostKey: current.hostKey, changed: false };
}

/** What a deployment pins of a host: the fields a PATCH may not change while one holds it. */
export type ConnectionField = 'address' | 'port' | 'hostKey' | 'credentialId';

/**
 * The connection fields a PATCH would really change (a value sent unchanged
 * changes nothing; a move that unpins the key changes the key too), in a
 * fixed order for messages.
 */
export function connectionChanges(current: HostEndpointState & { credentialId: string }, patch: HostPatch): ConnectionField[] {
  const changed: ConnectionField[] = [];
  if (patch.address !== undefined && patch.address !== current.address) changed.push('address');
  if (patch.port !== undefined && patch.port !== current.port) changed.push('port');
  if (hostKeyAfterPatch(current, patch).changed) changed.push('hostKey');
  if (patch.credentialId !== undefined && patch.credentialId !== current.credentialId) changed.push('credentialId');
  return changed;
}
