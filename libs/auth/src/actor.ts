import type { Role } from './core/permissions';

/** Who is calling: set on the request by the access guard, read by services and the audit trail. */
export interface Actor {
  kind: 'user' | 'api-key';
  /** The user's id; for an API key, the id of the user who created it. */
  userId: string;
  /** Human-readable name for records: the username, or `key:<name>` for an API key. */
  name: string;
  role: Role;
  apiKeyId?: string;
}

export interface RequestWithActor {
  actor?: Actor;
  id?: string;
  /** Set by handlers so the audit trail names the resource a request touched. */
  auditResource?: { type: string; id?: string };
}
