// Every VulnZero metric name in one place, so the dashboard, the alert rules
// and docs/troubleshooting.md can be checked against it.
export const METRIC = {
  httpRequestSeconds: 'vulnzero_http_request_duration_seconds',
  tasksFinished: 'vulnzero_tasks_finished_total',
  tasksOpen: 'vulnzero_tasks_open',
  taskOldestOpenSeconds: 'vulnzero_task_oldest_open_seconds',
  deploymentsFinished: 'vulnzero_deployments_finished_total',
  deploymentsOpen: 'vulnzero_deployments_open',
  deploymentOldestOpenSeconds: 'vulnzero_deployment_oldest_open_seconds',
  queueJobs: 'vulnzero_queue_jobs',
  sourceUp: 'vulnzero_metrics_source_up',
  // Defined by the deploy engine (libs/deployments/src/engine/engine-metrics.ts).
  hostOperationSeconds: 'vulnzero_host_operation_seconds',
  hostRollbacks: 'vulnzero_host_rollbacks_total',
  sshConnectionErrors: 'vulnzero_ssh_connection_errors_total',
} as const;
