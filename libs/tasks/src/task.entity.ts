import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { TaskStatus, TaskType } from './core/task-state';

export interface TaskProgress {
  phase?: string;
  done?: number;
  total?: number;
  percent?: number;
}

@Entity('tasks')
export class TaskEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) type!: TaskType;
  @Column({ type: 'text' }) status!: TaskStatus;
  @Column({ name: 'resource_type', type: 'text', nullable: true }) resourceType!: string | null;
  @Column({ name: 'resource_id', type: 'uuid', nullable: true }) resourceId!: string | null;
  @Column({ name: 'parent_task_id', type: 'uuid', nullable: true }) parentTaskId!: string | null;
  @Column({ type: 'jsonb' }) progress!: TaskProgress;
  @Column({ type: 'jsonb', nullable: true }) result!: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) error!: { code: string; message: string } | null;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'job_id', type: 'text', nullable: true }) jobId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  /** A paused task due to wake on its own (a maintenance window's opening); null otherwise. */
  @Column({ name: 'resume_at', type: 'timestamptz', nullable: true }) resumeAt!: Date | null;
}
