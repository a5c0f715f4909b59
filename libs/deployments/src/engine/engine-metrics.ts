import { Counter, Histogram, register } from 'prom-client';

// Metric hooks for host operations; the observability work exposes them on
// /metrics. Created once per process (prom-client's default registry).

function histogram(): Histogram<'phase' | 'outcome'> {
  const existing = register.getSingleMetric('vulnzero_host_operation_seconds');
  return (
    (existing as Histogram<'phase' | 'outcome'>) ??
    new Histogram({
      name: 'vulnzero_host_operation_seconds',
      help: 'Duration of host operations by phase (capture, apply, verify, health, rollback) and outcome',
      labelNames: ['phase', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    })
  );
}

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}

export const hostOperationSeconds = histogram();
export const hostRollbacksTotal = counter('vulnzero_host_rollbacks_total', 'Host rollbacks run, by outcome', ['outcome']);
export const sshConnectionErrorsTotal = counter('vulnzero_ssh_connection_errors_total', 'SSH connection failures by kind', ['kind']);

/** A host operation from `startedAt` to `endedAt` (ms since the epoch; now by default). */
export function observeHostOperation(phase: string, outcome: 'ok' | 'failed', startedAt: number, endedAt = Date.now()): void {
  hostOperationSeconds.observe({ phase, outcome }, (endedAt - startedAt) / 1000);
}
