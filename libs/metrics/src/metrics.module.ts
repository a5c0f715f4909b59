import { DynamicModule, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ClusterMetrics } from './cluster-metrics';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { clusterMetricProviders, httpMetricProviders } from './metric-definitions';
import { WorkerMetricsServer } from './worker-metrics.server';
// Loaded for its side effect: the engine's host-operation, rollback and SSH
// metrics register on the default registry at import, so they are exposed
// (at zero) before the first deployment runs in this process.
import '@vulnzero/deployments';

/** Process metrics (CPU, memory, GC, event-loop lag) under the app's label. */
function prometheus(app: 'gateway' | 'worker', controller?: typeof MetricsController): DynamicModule {
  return PrometheusModule.register({
    ...(controller ? { controller } : {}),
    path: '/metrics',
    defaultLabels: { app },
    defaultMetrics: { enabled: true, config: { eventLoopMonitoringPrecision: 10 } },
  });
}

/**
 * Gateway metrics: GET /metrics behind METRICS_TOKEN; request durations by
 * route (mounted by `timeHttpRequests`); and the cluster-wide state (tasks,
 * deployments, queue depths) read from PostgreSQL and Redis at scrape time.
 */
@Module({})
export class GatewayMetricsModule {
  static forRoot(): DynamicModule {
    return {
      module: GatewayMetricsModule,
      imports: [prometheus('gateway', MetricsController)],
      providers: [ClusterMetrics, ...clusterMetricProviders(), ...httpMetricProviders(), HttpMetricsMiddleware],
    };
  }
}

/**
 * Worker metrics: the engine's host operations, rollbacks and SSH errors,
 * and process metrics, served on METRICS_PORT. Cluster-wide numbers come
 * from the gateways only, so that a sum over workers never counts them twice.
 */
@Module({})
export class WorkerMetricsModule {
  static forRoot(): DynamicModule {
    return {
      module: WorkerMetricsModule,
      imports: [prometheus('worker')],
      providers: [WorkerMetricsServer],
    };
  }
}
