import { stdSerializers } from 'pino';

/** What PostgreSQL puts in `detail` when a row breaks a constraint: the whole row, secrets included. */
const FAILING_ROW = /failing row contains/i;

function withoutRowValues(value: unknown, depth: number): unknown {
  if (!value || typeof value !== 'object' || depth > 3) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'parameters' && Array.isArray(item)) out[key] = `[${item.length} redacted]`;
    else if (key === 'detail' && typeof item === 'string' && FAILING_ROW.test(item)) out[key] = '[redacted: row values]';
    else out[key] = withoutRowValues(item, depth + 1);
  }
  return out;
}

/**
 * pino's error serializer, minus the values of a failed SQL write: TypeORM's
 * QueryFailedError carries the statement's `parameters` (a user's password
 * hash, an encrypted key) and the driver's `detail` may repeat the failing row.
 * The query text, the error code and the constraint stay, which is what a
 * reader needs to find the cause.
 */
export function serializeError(error: unknown): unknown {
  const serialized = stdSerializers.err(error as Error) as unknown;
  return withoutRowValues(serialized, 0);
}
