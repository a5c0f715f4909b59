import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { PatchDefinition } from './core/patch-definition';

export const PATCH_STATUSES = ['draft', 'approved'] as const;
export type PatchStatus = (typeof PATCH_STATUSES)[number];

@Entity('patches')
export class PatchEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  /** The normalized definition; a trigger refuses to change it once approved. */
  @Column({ type: 'jsonb' }) definition!: PatchDefinition;
  @Column({ type: 'text' }) status!: PatchStatus;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  /** The user behind the creator (a key's owner); null on patches older than the column. */
  @Column({ name: 'created_by_user_id', type: 'uuid', nullable: true }) createdByUserId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'approved_by', type: 'text', nullable: true }) approvedBy!: string | null;
  @Column({ name: 'approved_at', type: 'timestamptz', nullable: true }) approvedAt!: Date | null;
}
