import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { raceTimeout } from '@vulnzero/async';
import { JobEnqueuer, QUEUES } from '@vulnzero/queues';
import { TASK_STATUSES, TASK_TYPES, isTerminalTask } from '@vulnzero/tasks';
import { DEPLOYMENT_STATUSES, StrategyType, isTerminal } from '@vulnzero/deployments';
import { GroupCount, Tallies, tallyByStatus } from './core/record-tallies';

/** BullMQ job states reported per queue: what waits, what runs, what was kept after failing. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'waiting-children', 'active', 'failed'] as const;

const STRATEGY_TYPES: StrategyType[] = ['canary', 'rolling', 'all-at-once'];

/** How long one reading serves scrapes: several Prometheus replicas must not multiply the queries. */
const CACHE_MS = 10_000;
/** A source slower than this is reported down for the scrape rather than hanging it. */
const SOURCE_TIMEOUT_MS = 3_000;

export type ClusterSource = 'postgresql' | 'redis';

export interface ClusterReading {
  tasks?: Tallies<'type'>;
  deployments?: Tallies<'strategy'>;
  queues?: { queue: string; state: string; count: number }[];
  up: Record<ClusterSource, boolean>;
}

class SourceTimeout extends Error {}

/**
 * State of the whole system, read from where it lives: tasks and deployments
 * from PostgreSQL (the record, so the numbers survive restarts and agree
 * across replicas), queue depths from Redis. Every gateway reports the same
 * values; dashboards aggregate them with max(), not sum().
 */
@Injectable()
export class ClusterMetrics {
  private readonly logger = new Logger(ClusterMetrics.name);
  private cached?: { at: number; reading: Promise<ClusterReading> };
  /** A source call still running from an earlier scrape: not started again until it settles. */
  private readonly pending = new Map<ClusterSource, Promise<unknown>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: JobEnqueuer,
  ) {}

  read(now = Date.now()): Promise<ClusterReading> {
    if (!this.cached || now - this.cached.at >= CACHE_MS) {
      this.cached = { at: now, reading: this.readNow() };
    }
    return this.cached.reading;
  }

  private async readNow(): Promise<ClusterReading> {
    const [records, queues] = await Promise.all([
      this.guard('postgresql', () => this.readRecords()),
      this.guard('redis', () => this.readQueues()),
    ]);
    return {
      ...(records ?? {}),
      queues,
      up: { postgresql: records !== undefined, redis: queues !== undefined },
    };
  }

  private async readRecords(): Promise<Pick<ClusterReading, 'tasks' | 'deployments'>> {
    const taskRows: { kind: string; status: string; count: string; oldest: string | null }[] = await this.dataSource.query(
      `SELECT type AS kind, status, count(*) AS count,
              EXTRACT(EPOCH FROM now() - min(coalesce(started_at, created_at))) AS oldest
         FROM tasks GROUP BY type, status`,
    );
    const deploymentRows: { kind: string; status: string; count: string; oldest: string | null }[] = await this.dataSource.query(
      `SELECT coalesce(strategy->>'type', 'unknown') AS kind, status, count(*) AS count,
              EXTRACT(EPOCH FROM now() - min(coalesce(started_at, created_at))) AS oldest
         FROM deployments GROUP BY 1, 2`,
    );
    const toCounts = (rows: typeof taskRows): GroupCount[] =>
      rows.map((r) => ({
        kind: r.kind,
        status: r.status,
        count: Number(r.count),
        oldestSeconds: r.oldest === null ? null : Number(r.oldest),
      }));
    return {
      tasks: tallyByStatus('type', toCounts(taskRows), {
        kinds: TASK_TYPES,
        finalStatuses: TASK_STATUSES.filter(isTerminalTask),
        openStatuses: TASK_STATUSES.filter((s) => !isTerminalTask(s)),
      }),
      deployments: tallyByStatus('strategy', toCounts(deploymentRows), {
        kinds: STRATEGY_TYPES,
        finalStatuses: DEPLOYMENT_STATUSES.filter(isTerminal),
        openStatuses: DEPLOYMENT_STATUSES.filter((s) => !isTerminal(s)),
      }),
    };
  }

  private async readQueues(): Promise<{ queue: string; state: string; count: number }[]> {
    const samples: { queue: string; state: string; count: number }[] = [];
    for (const name of QUEUES) {
      const queue = this.queues.queue(name);
      if (!queue) continue;
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) samples.push({ queue: name, state, count: counts[state] ?? 0 });
    }
    return samples;
  }

  /**
   * Runs one source's read with a deadline. BullMQ's connection waits for
   * Redis forever by design (jobs survive a restart), so without the deadline
   * a Redis outage would hang every scrape; a read still running from an
   * earlier scrape is not stacked up again.
   */
  private async guard<T>(source: ClusterSource, read: () => Promise<T>): Promise<T | undefined> {
    if (this.pending.has(source)) return undefined;
    const work = read();
    this.pending.set(source, work);
    void work.then(
      () => this.pending.delete(source),
      () => this.pending.delete(source),
    );
    try {
      return await raceTimeout(work, SOURCE_TIMEOUT_MS, () => new SourceTimeout(`no answer in ${SOURCE_TIMEOUT_MS} ms`));
    } catch (error) {
      this.logger.warn({ source, error: (error as Error).message }, 'metrics: source unavailable, its series are left out of this scrape');
      return undefined;
    }
  }
}
