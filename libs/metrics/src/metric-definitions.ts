import { Provider } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { ClusterMetrics, ClusterReading } from './cluster-metrics';
import type { Sample } from './core/record-tallies';
import { METRIC } from './core/metric-names';

export { METRIC } from './core/metric-names';

export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function httpMetricProviders(): Provider[] {
  return [
    makeHistogramProvider({
      name: METRIC.httpRequestSeconds,
      help: 'Gateway HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
    }),
  ];
}

function fill<L extends string>(metric: Gauge<L> | Counter<L>, samples: Sample<L>[] | undefined): void {
  metric.reset();
  for (const sample of samples ?? []) {
    if ('set' in metric) metric.set(sample.labels, sample.value);
    else metric.inc(sample.labels, sample.value);
  }
}

/**
 * Metrics read from PostgreSQL and Redis at scrape time (see ClusterMetrics).
 * Counters here mirror counts kept in the record: they are reset and refilled
 * on each scrape, which Prometheus reads as the monotonic count it is.
 */
export function clusterMetricProviders(): Provider[] {
  const fromReading = <M extends Gauge<string> | Counter<string>>(pick: (reading: ClusterReading) => Sample<string>[] | undefined) =>
    async function collect(this: M, cluster: ClusterMetrics): Promise<void> {
      fill(this, pick(await cluster.read()));
    };
  return [
    makeCounterProvider({
      name: METRIC.tasksFinished,
      help: 'Tasks in a final status (succeeded, failed, cancelled) by type, from PostgreSQL',
      labelNames: ['type', 'status'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.tasks?.finished),
    }),
    makeGaugeProvider({
      name: METRIC.tasksOpen,
      help: 'Tasks not yet final (queued, running, paused) by type, from PostgreSQL',
      labelNames: ['type', 'status'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.tasks?.open),
    }),
    makeGaugeProvider({
      name: METRIC.taskOldestOpenSeconds,
      help: 'Age of the oldest open task by type and status (since it started, or was created when not started)',
      labelNames: ['type', 'status'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.tasks?.oldestOpenSeconds),
    }),
    makeCounterProvider({
      name: METRIC.deploymentsFinished,
      help: 'Deployments in a final status (succeeded, failed, rolled_back, rollback_failed, cancelled) by strategy, from PostgreSQL',
      labelNames: ['strategy', 'status'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.deployments?.finished),
    }),
    makeGaugeProvider({
      name: METRIC.deploymentsOpen,
      help: 'Deployments not yet final (pending, running, paused, rolling_back) by strategy, from PostgreSQL',
      labelNames: ['strategy', 'status'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.deployments?.open),
    }),
    makeGaugeProvider({
      name: METRIC.deploymentOldestOpenSeconds,
      help: 'Age of the oldest open deployment by strategy and status',
      labelNames: ['strategy', 'status'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.deployments?.oldestOpenSeconds),
    }),
    makeGaugeProvider({
      name: METRIC.queueJobs,
      help: 'BullMQ jobs per queue and state (waiting, prioritized, delayed, waiting-children, active, failed), from Redis',
      labelNames: ['queue', 'state'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => r.queues?.map((q) => ({ labels: { queue: q.queue, state: q.state }, value: q.count }))),
    }),
    makeGaugeProvider({
      name: METRIC.sourceUp,
      help: 'Whether the last metrics read of a source (postgresql, redis) answered in time (1) or not (0)',
      labelNames: ['source'],
      inject: [ClusterMetrics],
      collect: fromReading((r) => Object.entries(r.up).map(([source, up]) => ({ labels: { source }, value: up ? 1 : 0 }))),
    }),
  ];
}
