// The hash chain over audit rows: each row's hash covers the previous row's
// hash and a canonical encoding of the row, so changing, removing or
// reordering any row breaks every check from that row on.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../database/src/core/canonical-json';
import type { AuditEventFields } from './audit-event';

export const GENESIS_HASH = '0'.repeat(64);

/** The version tag leads every encoding, so the format can change without ambiguity. */
const CANONICAL_VERSION = 'vz-audit-v1';

/** A row as chained: its fields plus the id PostgreSQL assigned (a decimal string). */
export interface AuditChainFields extends AuditEventFields {
  id: string;
}

export interface AuditRow extends AuditChainFields {
  prevHash: string;
  hash: string;
}

export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstBrokenId?: string;
  /** Where a hash an operator pinned earlier sits in the chain: null when no verified row has it. */
  pinned?: { hash: string; position: number | null };
}

/**
 * The bytes a row's hash covers: every field, nulls written out, the time as
 * an ISO string with milliseconds in UTC.
 */
export function canonicalAuditRow(row: AuditChainFields): string {
  if (!/^[1-9][0-9]*$/.test(row.id)) throw new TypeError(`audit row id ${row.id} is not a positive integer`);
  return `${CANONICAL_VERSION}${canonicalJson({
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    actorKind: row.actorKind,
    actorId: row.actorId ?? null,
    actorName: row.actorName ?? null,
    action: row.action,
    resourceType: row.resourceType ?? null,
    resourceId: row.resourceId ?? null,
    requestId: row.requestId ?? null,
    address: row.address ?? null,
    outcome: row.outcome,
    statusCode: row.statusCode ?? null,
    detail: row.detail ?? {},
  })}`;
}

/** SHA-256 (hex) over the previous hash, a newline and the canonical row. */
export function chainHash(prevHash: string, row: AuditChainFields): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalAuditRow(row)}`, 'utf8')
    .digest('hex');
}

/** Chains rows (in id order) onto the hash of the last stored row. */
export function sealAuditRows(prevHash: string, rows: AuditChainFields[]): AuditRow[] {
  let previous = prevHash;
  return rows.map((row) => {
    const hash = chainHash(previous, row);
    const sealed = { ...row, prevHash: previous, hash };
    previous = hash;
    return sealed;
  });
}

/**
 * Checks rows in chain order, batch by batch, so a table of any size can be
 * verified in bounded memory. Stops at the first row whose link or hash does
 * not match.
 */
export class ChainVerifier {
  private previous = GENESIS_HASH;
  private checked = 0;
  private firstBrokenId: string | undefined;
  private pinnedPosition: number | null = null;

  /** `pinnedHash`: a head pinned elsewhere earlier; the result says at which position it was found. */
  constructor(private readonly pinnedHash?: string) {}

  /** Returns false once the chain is broken (later rows need not be read). */
  add(rows: Iterable<AuditRow>): boolean {
    for (const row of rows) {
      if (this.firstBrokenId !== undefined) return false;
      this.checked += 1;
      if (row.prevHash !== this.previous || !this.hashMatches(row)) {
        this.firstBrokenId = row.id;
        return false;
      }
      this.previous = row.hash;
      if (this.pinnedHash !== undefined && row.hash === this.pinnedHash) this.pinnedPosition = this.checked;
    }
    return this.firstBrokenId === undefined;
  }

  result(): ChainVerification {
    const result: ChainVerification =
      this.firstBrokenId === undefined
        ? { valid: true, checked: this.checked }
        : { valid: false, checked: this.checked, firstBrokenId: this.firstBrokenId };
    if (this.pinnedHash !== undefined) result.pinned = { hash: this.pinnedHash, position: this.pinnedPosition };
    return result;
  }

  private hashMatches(row: AuditRow): boolean {
    try {
      return chainHash(row.prevHash, row) === row.hash;
    } catch {
      // A row that cannot even be encoded (e.g. a non-finite number) was not written by us.
      return false;
    }
  }
}

export function verifyChain(rows: Iterable<AuditRow>): ChainVerification {
  const verifier = new ChainVerifier();
  verifier.add(rows);
  return verifier.result();
}
