import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A named, reusable recurring window (`POST /maintenance-windows`); deployments copy it when they name it. */
@Entity('maintenance_windows')
export class MaintenanceWindowEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) recurrence!: string;
  @Column({ type: 'text' }) duration!: string;
  @Column({ type: 'text' }) timezone!: string;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
