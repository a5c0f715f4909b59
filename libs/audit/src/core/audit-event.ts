// What one audit event holds, and how any input is brought to the exact form
// that is stored and hashed: what PostgreSQL gives back must hash the same as
// what was written, or the chain would report tampering that never happened.

export const AUDIT_ACTOR_KINDS = ['user', 'api-key', 'anonymous', 'system'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export type AuditJson = null | boolean | number | string | AuditJson[] | { [key: string]: AuditJson };
export type AuditDetail = { [key: string]: AuditJson };

/** An event as stored, before it is given an id and chained. */
export interface AuditEventFields {
  occurredAt: Date;
  actorKind: AuditActorKind;
  actorId: string | null;
  actorName: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  requestId: string | null;
  address: string | null;
  outcome: AuditOutcome;
  statusCode: number | null;
  detail: AuditDetail;
}

/** What a caller hands to the audit trail; everything but the essentials is optional. */
export interface AuditEventInput {
  occurredAt?: Date;
  actorKind: AuditActorKind;
  actorId?: string | null;
  actorName?: string | null;
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  requestId?: string | null;
  address?: string | null;
  outcome: AuditOutcome;
  statusCode?: number | null;
  /** Small and never secret: ids, counts, names. */
  detail?: Record<string, unknown>;
}

export const AUDIT_TEXT_LIMITS = {
  actorName: 200,
  action: 300,
  resourceType: 100,
  resourceId: 200,
  requestId: 128,
  address: 100,
  detailString: 500,
  detailJson: 4096,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAX_DETAIL_DEPTH = 4;

/**
 * Text PostgreSQL stores byte for byte: no NUL (text and jsonb refuse it), no
 * lone surrogate (the driver would turn it into U+FFFD), bounded length.
 */
export function storableText(value: string, maxLength: number): string {
  const clean = value.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\uFFFD');
  if (clean.length <= maxLength) return clean;
  // Do not cut a surrogate pair in half.
  const cut = /[\uD800-\uDBFF]/.test(clean.charAt(maxLength - 1)) ? maxLength - 1 : maxLength;
  return clean.slice(0, cut);
}

function optionalText(value: string | null | undefined, maxLength: number): string | null {
  if (value === null || value === undefined) return null;
  const text = storableText(String(value), maxLength);
  return text === '' ? null : text;
}

/**
 * JSON that survives a jsonb round trip unchanged: numbers that are not safe
 * integers become strings (no float or precision ambiguity), dates become ISO
 * strings, undefined and functions are dropped, depth and string sizes bounded.
 */
export function storableJson(value: unknown, depth = 0): AuditJson | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return storableText(value, AUDIT_TEXT_LIMITS.detailString);
    case 'boolean':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? (Object.is(value, -0) ? 0 : value) : String(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (depth >= MAX_DETAIL_DEPTH) return '[too deep]';
      if (Array.isArray(value)) return value.map((item) => storableJson(item, depth + 1) ?? null);
      const out: { [key: string]: AuditJson } = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        const json = storableJson(item, depth + 1);
        if (json !== undefined) out[storableText(key, 100)] = json;
      }
      return out;
    }
    default:
      return undefined;
  }
}

function storableDetail(detail: Record<string, unknown> | undefined): AuditDetail {
  const json = storableJson(detail ?? {});
  const object = json && typeof json === 'object' && !Array.isArray(json) ? json : {};
  if (JSON.stringify(object).length <= AUDIT_TEXT_LIMITS.detailJson) return object;
  return { truncated: true, keys: Object.keys(object).slice(0, 20) };
}

/** Validates and normalizes an event; `now` is used when the caller gave no time. */
export function normalizeAuditEvent(input: AuditEventInput, now: Date): AuditEventFields {
  if (!AUDIT_ACTOR_KINDS.includes(input.actorKind)) throw new TypeError(`unknown audit actor kind ${input.actorKind}`);
  if (!AUDIT_OUTCOMES.includes(input.outcome)) throw new TypeError(`unknown audit outcome ${input.outcome}`);
  const action = optionalText(input.action, AUDIT_TEXT_LIMITS.action);
  if (!action) throw new TypeError('an audit event needs an action');
  const occurredAt = input.occurredAt ?? now;
  if (Number.isNaN(occurredAt.getTime())) throw new TypeError('audit event time is not a valid date');
  const statusCode = input.statusCode ?? null;
  if (statusCode !== null && !(Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599)) {
    throw new TypeError(`audit status code ${statusCode} is not an HTTP status`);
  }
  const actorId = input.actorId && UUID.test(input.actorId) ? input.actorId.toLowerCase() : null;
  return {
    occurredAt: new Date(occurredAt.getTime()),
    actorKind: input.actorKind,
    actorId,
    actorName: optionalText(input.actorName, AUDIT_TEXT_LIMITS.actorName),
    action,
    resourceType: optionalText(input.resourceType, AUDIT_TEXT_LIMITS.resourceType),
    resourceId: optionalText(input.resourceId, AUDIT_TEXT_LIMITS.resourceId),
    requestId: optionalText(input.requestId, AUDIT_TEXT_LIMITS.requestId),
    address: optionalText(input.address, AUDIT_TEXT_LIMITS.address),
    outcome: input.outcome,
    statusCode,
    detail: storableDetail(input.detail),
  };
}
