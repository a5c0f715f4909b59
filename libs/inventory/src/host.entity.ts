import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Labels } from './core/labels';

@Entity('hosts')
export class HostEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  /** IPv4, IPv6 or DNS name, lower-cased. */
  @Column({ type: 'text' }) address!: string;
  @Column({ type: 'integer' }) port!: number;
  @Column({ name: 'credential_id', type: 'uuid' }) credentialId!: string;
  @Column({ type: 'jsonb' }) labels!: Labels;
  /** Pinned OpenSSH public key `type base64`; null = unpinned: the host gets no command. */
  @Column({ name: 'host_key', type: 'text', nullable: true }) hostKey!: string | null;
  @Column({ name: 'host_key_fingerprint', type: 'text', nullable: true }) hostKeyFingerprint!: string | null;
  /** Who pinned the key (trust route or hostKey in a create/update), and when. */
  @Column({ name: 'host_key_trusted_by', type: 'text', nullable: true }) hostKeyTrustedBy!: string | null;
  @Column({ name: 'host_key_trusted_at', type: 'timestamptz', nullable: true }) hostKeyTrustedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
