import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AuditActorKind, AuditDetail, AuditOutcome } from './core/audit-event';

/** One row of the append-only audit trail (written only by AuditService, in chain order). */
@Entity('audit_events')
export class AuditEventEntity {
  /** bigint: PostgreSQL hands it back as a decimal string. */
  @PrimaryColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ name: 'actor_kind', type: 'text' }) actorKind!: AuditActorKind;
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId!: string | null;
  @Column({ name: 'actor_name', type: 'text', nullable: true }) actorName!: string | null;
  @Column({ type: 'text' }) action!: string;
  @Column({ name: 'resource_type', type: 'text', nullable: true }) resourceType!: string | null;
  @Column({ name: 'resource_id', type: 'text', nullable: true }) resourceId!: string | null;
  @Column({ name: 'request_id', type: 'text', nullable: true }) requestId!: string | null;
  @Column({ type: 'text', nullable: true }) address!: string | null;
  @Column({ type: 'text' }) outcome!: AuditOutcome;
  @Column({ name: 'status_code', type: 'integer', nullable: true }) statusCode!: number | null;
  @Column({ type: 'jsonb' }) detail!: AuditDetail;
  @Column({ name: 'prev_hash', type: 'text' }) prevHash!: string;
  @Column({ type: 'text' }) hash!: string;
}
