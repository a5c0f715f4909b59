// VulnZero on the same rollout, as a CI pipeline drives it: over HTTP, from
// `POST /deployments` to the deploy task's terminal status (seen on the task's
// SSE stream), with write-ahead rollback records, health gates and all.
import type { FleetHost } from '../test/fleet/fleet';
import { ApiClient, TEST_ADMIN } from '../test/harness/api-client';
import { CANARY_STEPS, MAX_PARALLEL, NEW_VERSION, OPERATIONS } from './rollout';

/**
 * The same work as the other tools' command line, in VulnZero's terms: the
 * old version is captured (and stored as the rollback) before anything
 * changes, apply saves the old file, writes the new one and sleeps, verify
 * checks the new version, and the health check reads the health file.
 */
export const BENCH_PATCH = {
  capture: { previousVersion: 'cat "$VZ_STATE_DIR/app/version"' },
  apply: [[OPERATIONS.save, OPERATIONS.write, OPERATIONS.sleep].join(' && ')],
  rollback: ['printf %s {{previousVersion}} > "$VZ_STATE_DIR/app/version"', 'rm -f "$VZ_STATE_DIR/app/version.prev"'],
  verify: `grep -qx ${NEW_VERSION} "$VZ_STATE_DIR/app/version"`,
  healthChecks: [{ type: 'command', command: OPERATIONS.health, timeoutSeconds: 10 }],
  timeoutSeconds: 60,
};

export interface TaskView {
  id: string;
  status: string;
  result: { deploymentStatus?: string } | null;
  error: { message?: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface CommandRecordView {
  phase: string;
  durationMs: number;
  at: string;
}

export interface DeploymentView {
  id: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: { index: number; size: number; startedAt: string | null; finishedAt: string | null }[];
  hosts: {
    hostName: string;
    status: string;
    startedAt: string | null;
    finishedAt: string | null;
    output: CommandRecordView[];
    error: string | null;
  }[];
}

export interface DeploymentTiming {
  /** POST /deployments → the task's terminal status on its event stream. */
  seconds: number;
  /** POST /deployments → the task's terminal status when it is read back (not only the first event). */
  task: TaskView;
  deployment: DeploymentView;
  /** Monotonic clock (µs, as in a .cpuprofile) at the POST and at the end event. */
  windowUs: [number, number];
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export class VulnZeroBench {
  private constructor(
    readonly api: ApiClient,
    /** The admin's access token, for wrk and the event stream. */
    readonly token: string,
    private readonly credentialId: string,
    readonly patchId: string,
  ) {}

  static async setUp(gatewayUrl: string, fleet: { username: string; privateKey: string }): Promise<VulnZeroBench> {
    const login = await new ApiClient(gatewayUrl).post<{ accessToken: string }>('/auth/login', TEST_ADMIN);
    if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
    const token = login.body.accessToken;
    const api = new ApiClient(gatewayUrl).withToken(token);
    const credential = await api.post('/credentials', { name: 'bench-fleet', username: fleet.username, privateKey: fleet.privateKey });
    if (credential.status !== 201) throw new Error(`POST /credentials: ${credential.status} ${JSON.stringify(credential.body)}`);
    const patch = await api.post('/patches', { name: 'bench app 2.0', ...BENCH_PATCH });
    if (patch.status !== 201) throw new Error(`POST /patches: ${patch.status} ${JSON.stringify(patch.body)}`);
    const approved = await api.post(`/patches/${patch.body.id}/approve`);
    if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${JSON.stringify(approved.body)}`);
    return new VulnZeroBench(api, token, credential.body.id as string, patch.body.id as string);
  }

  /** A credential for another fleet (each fleet has its own client key pair). */
  async addCredential(name: string, fleet: { username: string; privateKey: string }): Promise<string> {
    const credential = await this.api.post('/credentials', { name, username: fleet.username, privateKey: fleet.privateKey });
    if (credential.status !== 201) throw new Error(`POST /credentials: ${credential.status} ${JSON.stringify(credential.body)}`);
    return credential.body.id as string;
  }

  /** Registers the hosts with their host keys pinned; returns their ids in fleet order. */
  async registerHosts(hosts: FleetHost[], prefix: string, credentialId = this.credentialId): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < hosts.length; i += 1000) {
      const chunk = hosts.slice(i, i + 1000);
      const response = await this.api.post('/hosts/bulk', {
        hosts: chunk.map((h) => ({
          name: `${prefix}-${h.name}`,
          address: h.address,
          port: h.port,
          credentialId,
          hostKey: h.hostKey,
          labels: { bench: prefix },
        })),
      });
      if (response.status !== 201) throw new Error(`POST /hosts/bulk: ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
      const byName = new Map((response.body.items as { id: string; name: string }[]).map((item) => [item.name, item.id]));
      for (const h of chunk) ids.push(byName.get(`${prefix}-${h.name}`) as string);
    }
    return ids;
  }

  /** The deployment request every VulnZero measurement sends. */
  deploymentBody(hostIds: string[]) {
    return {
      patchId: this.patchId,
      targets: { hostIds },
      strategy: { type: 'canary', steps: CANARY_STEPS, maxParallel: MAX_PARALLEL, bakeSeconds: 0, maxFailures: 0, autoRollback: true },
    };
  }

  /**
   * A deployment over `hostIds` (two or more) that pauses at its canary gate
   * after the first host: a task that is not finished, for the load bench.
   * Resolves once the task is `paused`; `cancelPaused` ends it.
   */
  async startPaused(hostIds: string[], timeoutMs = 60_000): Promise<{ deploymentId: string; taskId: string }> {
    const body = this.deploymentBody(hostIds);
    const accepted = await this.api.post('/deployments', {
      ...body,
      strategy: { ...body.strategy, steps: [1, '100%'], pauseAfterStep: [0] },
    });
    if (accepted.status !== 202) throw new Error(`POST /deployments: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const started = accepted.body as { deploymentId: string; taskId: string };
    const until = Date.now() + timeoutMs;
    for (;;) {
      const task = (await this.api.get<TaskView>(`/tasks/${started.taskId}`)).body;
      if (task.status === 'paused') return started;
      if (TERMINAL.includes(task.status) || Date.now() > until) throw new Error(`task ${started.taskId} did not pause: ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async cancelPaused(started: { deploymentId: string; taskId: string }): Promise<void> {
    const cancelled = await this.api.post(`/deployments/${started.deploymentId}/cancel`, {});
    if (cancelled.status >= 300) throw new Error(`cancel: ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
    await this.waitForEnd(started.taskId, 60_000);
  }

  /** The benchmark's canary over `hostIds`, timed from the POST to the terminal status. */
  async deploy(hostIds: string[], options: { idempotencyKey?: string; timeoutMs?: number } = {}): Promise<DeploymentTiming> {
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    const startUs = nowUs();
    const accepted = await this.api.post('/deployments', this.deploymentBody(hostIds), headers);
    if (accepted.status !== 202) throw new Error(`POST /deployments: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const { deploymentId, taskId } = accepted.body as { deploymentId: string; taskId: string };
    await this.waitForEnd(taskId, options.timeoutMs ?? 600_000);
    const endUs = nowUs();
    const task = (await this.api.get<TaskView>(`/tasks/${taskId}`)).body;
    if (!TERMINAL.includes(task.status)) throw new Error(`task ${taskId} ended its stream as ${task.status}`);
    const deployment = (await this.api.get<DeploymentView>(`/deployments/${deploymentId}`)).body;
    return { seconds: (endUs - startUs) / 1e6, task, deployment, windowUs: [startUs, endUs] };
  }

  /** Follows GET /tasks/:id/events until its `end` event (sent once the task is terminal). */
  private async waitForEnd(taskId: string, timeoutMs: number): Promise<void> {
    const response = await fetch(`${this.api.baseUrl}/tasks/${taskId}/events`, {
      headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok || !response.body) throw new Error(`GET /tasks/${taskId}/events: ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        if (/^event: end$/m.test(block)) {
          await response.body.cancel().catch(() => undefined);
          return;
        }
        boundary = buffer.indexOf('\n\n');
      }
    }
    throw new Error(`the event stream of task ${taskId} closed without an end event`);
  }
}

export interface TimeBreakdown {
  /** Task created → a worker took the job (ms). */
  queueMs: number;
  /** Per host, averaged: host started → its first command began (connection + credential + DB writes). */
  connectMs: number;
  /** Per host, averaged: time inside commands (capture, apply, verify, health). */
  commandsMs: number;
  /** Per host, averaged: the rest of the host's record time (PostgreSQL writes between commands, event publishing). */
  bookkeepingMs: number;
  /** Per host, averaged: started → finished. */
  hostMs: number;
  /** Wall time of each step, first host started → step finished (includes its post-step health recheck). */
  stepsMs: number[];
  /** Last host finished → task finished (final health recheck, records, claims). */
  finishMs: number;
  /** Task finished (server clock) → the client saw the end event. */
  notifyMs: number;
  /** Commands each host ran while being patched (the shell tools run one). */
  commandsPerHost: number;
  /** Health commands each host ran again after its step and later steps (bakeSeconds 0). */
  rechecksPerHost: number;
}

const ms = (iso: string | null) => (iso ? Date.parse(iso) : NaN);
const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Where a deployment's time went, from its own records. */
export function breakdownOf(timing: DeploymentTiming): TimeBreakdown {
  const { task, deployment } = timing;
  const hosts = deployment.hosts.filter((h) => h.startedAt && h.finishedAt);
  const connect: number[] = [];
  const commands: number[] = [];
  const whole: number[] = [];
  const counts: number[] = [];
  const rechecks: number[] = [];
  for (const host of hosts) {
    const started = ms(host.startedAt);
    const finished = ms(host.finishedAt);
    // Records after the host finished are the post-step health rechecks.
    const own = host.output.filter((r) => ms(r.at) <= finished);
    const first = own.length > 0 ? Math.min(...own.map((r) => ms(r.at))) : started;
    whole.push(finished - started);
    connect.push(first - started);
    commands.push(own.reduce((sum, r) => sum + r.durationMs, 0));
    counts.push(own.length);
    rechecks.push(host.output.length - own.length);
  }
  const lastHostFinished = Math.max(...hosts.map((h) => ms(h.finishedAt)));
  const stepsMs = deployment.steps.sort((a, b) => a.index - b.index).map((s) => ms(s.finishedAt) - ms(s.startedAt));
  const serverSeconds = (ms(task.finishedAt) - ms(task.createdAt)) / 1000;
  return {
    queueMs: ms(task.startedAt) - ms(task.createdAt),
    connectMs: average(connect),
    commandsMs: average(commands),
    bookkeepingMs: average(whole) - average(connect) - average(commands),
    hostMs: average(whole),
    stepsMs,
    finishMs: ms(task.finishedAt) - lastHostFinished,
    notifyMs: (timing.seconds - serverSeconds) * 1000,
    commandsPerHost: average(counts),
    rechecksPerHost: average(rechecks),
  };
}
