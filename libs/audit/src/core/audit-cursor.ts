// Opaque cursors for the audit trail: newest first by id (the chain order).

const ID = /^[1-9][0-9]{0,18}$/;

export function encodeAuditCursor(id: string): string {
  return Buffer.from(`audit:${id}`, 'utf8').toString('base64url');
}

/** The id to continue below, or null for anything that is not a cursor we issued. */
export function decodeAuditCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return null;
  const match = /^audit:(.*)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const id = match?.[1];
  return id && ID.test(id) && BigInt(id) <= 9223372036854775807n ? id : null;
}
