import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { keysetPage } from '@vulnzero/database';
import { NotFoundError } from '@vulnzero/http';
import { assertTaskTransition, isTerminalTask, TaskStatus, TaskType } from './core/task-state';
import { TaskEntity, TaskProgress } from './task.entity';
import { TaskEventsPublisher } from './task-events';

export interface NewTask {
  type: TaskType;
  createdBy: string;
  resourceType?: string;
  resourceId?: string;
  parentTaskId?: string;
  total?: number;
}

export interface TaskView {
  id: string;
  type: TaskType;
  status: TaskStatus;
  resourceType: string | null;
  resourceId: string | null;
  parentTaskId: string | null;
  progress: TaskProgress;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** A paused task that wakes on its own (a maintenance window's next opening). */
  resumeAt: string | null;
  links: { self: string; resource?: string; events: string };
}

export interface TaskPage {
  items: TaskView[];
  nextCursor: string | null;
}

const RESOURCE_ROUTES: Record<string, string> = { deployment: 'deployments', scan: 'scans' };

export function toTaskView(task: Omit<TaskEntity, 'jobId' | 'updatedAt'>): TaskView {
  const route = task.resourceType ? RESOURCE_ROUTES[task.resourceType] : undefined;
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    resourceType: task.resourceType,
    resourceId: task.resourceId,
    parentTaskId: task.parentTaskId,
    progress: task.progress,
    result: task.result,
    error: task.error,
    createdBy: task.createdBy,
    createdAt: task.createdAt.toISOString(),
    startedAt: task.startedAt?.toISOString() ?? null,
    finishedAt: task.finishedAt?.toISOString() ?? null,
    resumeAt: task.resumeAt?.toISOString() ?? null,
    links: {
      self: `/tasks/${task.id}`,
      events: `/tasks/${task.id}/events`,
      ...(route && task.resourceId ? { resource: `/${route}/${task.resourceId}` } : {}),
    },
  };
}

const TASK_VIEW_SQL = `SELECT id, type, status, resource_type, resource_id, parent_task_id, progress, result, error,
  created_by, created_at, started_at, finished_at, resume_at FROM tasks WHERE id = ANY($1::uuid[])`;

/** A row of TASK_VIEW_SQL as the driver returns it (jsonb parsed, timestamps as Dates). */
interface TaskRow {
  id: string;
  type: TaskType;
  status: TaskStatus;
  resource_type: string | null;
  resource_id: string | null;
  parent_task_id: string | null;
  progress: TaskProgress;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  resume_at: Date | null;
}

function taskViewOfRow(row: TaskRow): TaskView {
  return toTaskView({
    id: row.id,
    type: row.type,
    status: row.status,
    progress: row.progress,
    result: row.result,
    error: row.error,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    parentTaskId: row.parent_task_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    resumeAt: row.resume_at,
  });
}

/** The tasks table is the truth for every job's state (docs/api.md#tasks). */
@Injectable()
export class TasksService {
  constructor(
    @InjectRepository(TaskEntity) private readonly tasks: Repository<TaskEntity>,
    private readonly events: TaskEventsPublisher,
  ) {}

  /**
   * With `manager`, the task is created inside the caller's transaction. Not
   * announced: no view of a task that did not exist can be cached.
   */
  async create(input: NewTask, manager?: EntityManager): Promise<TaskEntity> {
    const tasks = manager ? manager.getRepository(TaskEntity) : this.tasks;
    return tasks.save(
      tasks.create({
        type: input.type,
        status: 'queued',
        createdBy: input.createdBy,
        resourceType: input.resourceType ?? null,
        resourceId: input.resourceId ?? null,
        parentTaskId: input.parentTaskId ?? null,
        progress: { phase: 'queued', done: 0, total: input.total ?? 0, percent: 0 },
        result: null,
        error: null,
        jobId: null,
        startedAt: null,
        finishedAt: null,
        resumeAt: null,
      }),
    );
  }

  async get(id: string): Promise<TaskEntity> {
    const task = await this.tasks.findOneBy({ id });
    if (!task) throw new NotFoundError('task', id);
    return task;
  }

  /**
   * `GET /tasks/:id`: the hottest read of the API (CI pipelines and pages poll
   * it), so plain SQL mapped straight to the view, without the query builder
   * and entity hydration of `get`. Reads that arrive in the same turn of the
   * event loop share one statement; every one of them arrived before it was
   * sent, so none sees an older state than a read of its own would.
   */
  view(taskId: string): Promise<TaskView> {
    // Rows come back with the id in lower case, whatever the spelling asked for.
    const id = taskId.toLowerCase();
    return new Promise<TaskView>((resolve, reject) => {
      const waiting = this.pendingViews.get(id);
      const waiter = { resolve, reject };
      if (waiting) waiting.push(waiter);
      else this.pendingViews.set(id, [waiter]);
      if (!this.viewFlushScheduled) {
        this.viewFlushScheduled = true;
        setImmediate(() => void this.flushViews());
      }
    });
  }

  private readonly pendingViews = new Map<string, { resolve: (view: TaskView) => void; reject: (error: unknown) => void }[]>();
  private viewFlushScheduled = false;

  private async flushViews(): Promise<void> {
    const batch = new Map(this.pendingViews);
    this.pendingViews.clear();
    this.viewFlushScheduled = false;
    try {
      const rows = (await this.tasks.query(TASK_VIEW_SQL, [[...batch.keys()]])) as TaskRow[];
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, waiters] of batch) {
        const row = byId.get(id);
        for (const waiter of waiters) {
          if (row) waiter.resolve(taskViewOfRow(row));
          else waiter.reject(new NotFoundError('task', id));
        }
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }

  async list(filter: { type?: TaskType; status?: TaskStatus; cursor?: string; limit: number }): Promise<TaskPage> {
    const query = this.tasks.createQueryBuilder('t');
    if (filter.type) query.andWhere('t.type = :type', { type: filter.type });
    if (filter.status) query.andWhere('t.status = :status', { status: filter.status });
    const page = await keysetPage(query, 't', filter);
    return { items: page.items.map(toTaskView), nextCursor: page.nextCursor };
  }

  /** Not announced: the job id (and `updated_at`) are not part of the task's view. */
  async setJobId(id: string, jobId: string): Promise<void> {
    await this.tasks.update({ id }, { jobId });
  }

  /**
   * Moves a task to a new status, refusing illegal moves (a finished task
   * never runs again). Timestamps follow the status. The row is locked from
   * the check to the write, so two writers racing (a worker finishing, the
   * reconciler giving up on a lost job) cannot both pass the check: the
   * second sees the first's status, and a finished task's status is never
   * overwritten with another.
   */
  async transition(
    id: string,
    to: TaskStatus,
    patch: {
      progress?: TaskProgress;
      result?: Record<string, unknown>;
      error?: { code: string; message: string };
      /** With `paused`: when the task wakes on its own (the reconciler re-enqueues it if its job is lost). */
      resumeAt?: Date;
    } = {},
  ): Promise<TaskEntity> {
    const saved = await this.tasks.manager.transaction(async (manager) => {
      const tasks = manager.getRepository(TaskEntity);
      const task = await tasks.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!task) throw new NotFoundError('task', id);
      assertTaskTransition(task.status, to);
      task.status = to;
      task.resumeAt = to === 'paused' ? (patch.resumeAt ?? null) : null;
      if (to === 'running' && !task.startedAt) task.startedAt = new Date();
      if (isTerminalTask(to)) task.finishedAt = new Date();
      if (patch.progress) task.progress = { ...task.progress, ...patch.progress };
      if (patch.result !== undefined) task.result = patch.result;
      if (patch.error !== undefined) task.error = patch.error;
      return tasks.save(task);
    });
    // Committed: now the gateways may read it again.
    this.events.taskChanged(id);
    return saved;
  }

  async updateProgress(id: string, progress: TaskProgress): Promise<void> {
    await this.tasks
      .createQueryBuilder()
      .update(TaskEntity)
      .set({ progress: () => `progress || :progress::jsonb`, updatedAt: () => 'now()' })
      .setParameter('progress', JSON.stringify(progress))
      .where('id = :id', { id })
      .execute();
    this.events.taskChanged(id);
  }
}
