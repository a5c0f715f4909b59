import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, Deployment, DeploymentHost, Me } from './api';
import { Confirm, ErrorBox, fmtDuration, fmtTime, StatusBadge } from './ui';
import { followEvents } from './sse';
import { Link } from './router';
import { HostGrid } from './host-grid';

type Action = 'promote' | 'cancel' | 'rollback';
type Live = 'connecting' | 'live' | 'reconnecting' | 'ended';

const ACTIONS: Record<Action, { label: string; question: string; danger: boolean }> = {
  promote: { label: 'Promote', question: 'Continue the rollout past this gate to the next step?', danger: false },
  cancel: { label: 'Cancel', question: 'Stop before the next batch? Hosts already patched stay as recorded.', danger: true },
  rollback: { label: 'Roll back', question: 'Roll back every host this deployment changed, newest first?', danger: true },
};

function allowedActions(deployment: Deployment, me: Me): Action[] {
  if (!me.permissions.includes('deployments:write')) return [];
  const s = deployment.status;
  const actions: Action[] = [];
  // Promote passes a gate; a schedule pause resumes on its own.
  if (s === 'paused' && (deployment.pausedReason ?? 'gate') === 'gate') actions.push('promote');
  if (['pending', 'running', 'paused'].includes(s) && !deployment.cancelRequested) actions.push('cancel');
  if (['paused', 'succeeded', 'failed', 'cancelled', 'rollback_failed'].includes(s) && !deployment.rollbackTaskId) actions.push('rollback');
  return actions;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export function RolloutView({ id, me }: { id: string; me: Me }) {
  const [deployment, setDeployment] = useState<Deployment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<Live>('connecting');
  const [selected, setSelected] = useState<string | null>(null);
  const [pending, setPending] = useState<Action | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let timer: ReturnType<typeof setTimeout> | undefined;

    // Responses may arrive out of order: only the newest request's answer is shown.
    const fetchDeployment = async (): Promise<Deployment> => {
      const seq = ++latest.current;
      const d = await api<Deployment>('GET', `/deployments/${encodeURIComponent(id)}`);
      if (seq === latest.current && !signal.aborted) {
        setDeployment(d);
        setError(null);
      }
      return d;
    };
    const reload = () => fetchDeployment().catch((e: Error) => void (signal.aborted || setError(e.message)));
    // Each event means "something changed": coalesce bursts into one read, and
    // never have two reads in flight (a 1,000-host deployment is a big answer).
    let inFlight = false;
    let dirty = false;
    const reloadCoalesced = async (): Promise<void> => {
      if (inFlight) {
        dirty = true;
        return;
      }
      inFlight = true;
      try {
        do {
          dirty = false;
          await reload();
        } while (dirty && !signal.aborted);
      } finally {
        inFlight = false;
      }
    };
    const onEvent = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void reloadCoalesced();
      }, 250);
    };

    void (async () => {
      // Follow the deploy task, then the rollback task, until both have ended.
      const ended = new Set<string>();
      while (!signal.aborted) {
        try {
          const d = await fetchDeployment();
          const taskId = [d.rollbackTaskId, d.taskId].find((t): t is string => !!t && !ended.has(t));
          if (!taskId) return setLive('ended');
          setLive((current) => (current === 'reconnecting' ? current : 'live'));
          await followEvents(`/tasks/${encodeURIComponent(taskId)}/events`, onEvent, signal);
          ended.add(taskId);
          setLive('live');
        } catch (e) {
          if (signal.aborted) return;
          // Refused (signed out, key revoked, no permission, gone): retrying cannot help.
          if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) {
            setError(e.message);
            return setLive('ended');
          }
          setLive('reconnecting');
          setError(`Live updates interrupted (${(e as Error).message}); reconnecting…`);
          await sleep(2_000, signal);
        }
      }
    })();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [id, generation]);

  async function run(action: Action) {
    setPending(null);
    setActionError(null);
    try {
      await api('POST', `/deployments/${encodeURIComponent(id)}/${action}`);
      setGeneration((g) => g + 1);
    } catch (e) {
      setActionError(`${ACTIONS[action].label} failed: ${(e as Error).message}`);
    }
  }

  if (!deployment) {
    return (
      <section>
        <h2>Deployment {id}</h2>
        {error ? <ErrorBox message={error} /> : <p aria-busy="true">Loading…</p>}
      </section>
    );
  }

  const host = deployment.hosts.find((h) => h.hostId === selected) ?? null;
  const counts = new Map<string, number>();
  for (const h of deployment.hosts) counts.set(h.status, (counts.get(h.status) ?? 0) + 1);
  const actions = allowedActions(deployment, me);

  return (
    <section class="rollout">
      <div class="title">
        <h2>
          Deployment <code>{deployment.id.slice(0, 8)}</code>
        </h2>
        <StatusBadge status={deployment.status} testId="deployment-status" />
        <span class={`live live-${live}`} data-testid="live">
          {live === 'live' ? '● live' : live === 'ended' ? 'finished' : live}
        </span>
        <div class="actions">
          {actions.map((a) => (
            <button type="button" key={a} class={ACTIONS[a].danger ? 'danger' : 'primary'} data-action={a} onClick={() => setPending(a)}>
              {ACTIONS[a].label}
            </button>
          ))}
        </div>
      </div>
      <p class="meta">
        {deployment.strategy.type} · patch <code>{deployment.patchId.slice(0, 8)}</code> · started {fmtTime(deployment.startedAt)}
        {deployment.finishedAt && <> · finished {fmtTime(deployment.finishedAt)}</>}
        {deployment.cancelRequested && deployment.status !== 'cancelled' && <> · cancel requested</>}
      </p>
      {deployment.status === 'paused' && deployment.pausedReason && deployment.pausedReason !== 'gate' && (
        <p class="notice" role="status" data-paused-reason={deployment.pausedReason}>
          {deployment.pausedReason === 'window_closed'
            ? 'Paused: the maintenance window is closed'
            : 'Scheduled: not before its start time'}
          {deployment.resumeAt ? ` — resumes by itself at ${fmtTime(deployment.resumeAt)}.` : '.'}
        </p>
      )}
      {deployment.error && (
        <ErrorBox
          message={`${deployment.error.code}: ${deployment.error.message}${deployment.error.hosts?.length ? ` (hosts: ${deployment.error.hosts.join(', ')})` : ''}`}
        />
      )}
      {error && <ErrorBox message={error} />}
      {actionError && <ErrorBox message={actionError} />}

      <ol class="steps" aria-label="Steps">
        {deployment.steps.map((s) => (
          <li key={s.index} class={`step s-${s.status}`} data-status={s.status}>
            <span class="step-name">Step {s.index + 1}</span>
            <span>{s.size === 1 ? '1 host' : `${s.size} hosts`}</span>
            <span>{s.status}</span>
            {s.bakeUntil && s.status === 'baking' && <span>bake until {fmtTime(s.bakeUntil)}</span>}
            {deployment.strategy.pauseAfterStep?.includes(s.index) && <span>{s.promoted ? 'promoted' : 'gate'}</span>}
          </li>
        ))}
      </ol>

      <p class="counts" aria-live="polite">
        {[...counts.entries()].map(([status, n]) => (
          <span key={status} class={`count s-${status}`}>
            {status.replace(/_/g, ' ')}: {n}
          </span>
        ))}
      </p>

      <HostGrid hosts={deployment.hosts} selected={selected} onSelect={(hostId) => setSelected(hostId === selected ? null : hostId)} />

      {host && <HostDetail host={host} onClose={() => setSelected(null)} />}
      <p>
        <Link href="/ui/deployments">← All deployments</Link>
      </p>
      {pending && (
        <Confirm
          title={`${ACTIONS[pending].label} deployment ${deployment.id.slice(0, 8)}?`}
          message={ACTIONS[pending].question}
          confirmLabel={ACTIONS[pending].label}
          danger={ACTIONS[pending].danger}
          onConfirm={() => void run(pending)}
          onCancel={() => setPending(null)}
        />
      )}
    </section>
  );
}

function HostDetail({ host, onClose }: { host: DeploymentHost; onClose: () => void }) {
  // After a rollback the patch's verify command runs again and must fail.
  const rollbackVerify = host.output?.filter((o) => o.phase === 'rollback-verify').at(-1);
  const verified = !!rollbackVerify && !rollbackVerify.timedOut && rollbackVerify.exitCode !== 0;
  return (
    <article class="detail" aria-label={`Host ${host.hostName}`} data-testid="host-detail">
      <header>
        <h3>
          {host.hostName} <small>{`${host.address}:${host.port}`}</small>
        </h3>
        <StatusBadge status={host.status} />
        <button type="button" onClick={onClose} aria-label="Close host details">
          Close
        </button>
      </header>
      <dl>
        <dt>Step</dt>
        <dd>{host.step === null ? '—' : host.step + 1}</dd>
        <dt>Exit code</dt>
        <dd>{host.exitCode ?? '—'}</dd>
        <dt>Patched</dt>
        <dd>
          {fmtTime(host.startedAt)} → {fmtTime(host.finishedAt)} ({fmtDuration(host.startedAt, host.finishedAt)})
        </dd>
        {host.rollbackStartedAt && (
          <>
            <dt>Rolled back</dt>
            <dd>
              {fmtTime(host.rollbackStartedAt)} → {fmtTime(host.rollbackFinishedAt)} (
              {fmtDuration(host.rollbackStartedAt, host.rollbackFinishedAt)})
            </dd>
          </>
        )}
        {rollbackVerify && (
          <>
            <dt>Rollback verified</dt>
            <dd data-testid="rollback-verified" class={verified ? '' : 'error'}>
              {rollbackVerify.timedOut
                ? 'unknown: the verify command timed out'
                : verified
                  ? `yes: the patch's verify fails again (exit ${rollbackVerify.exitCode})`
                  : "no: the patch's verify still passes"}
            </dd>
          </>
        )}
        {host.error && (
          <>
            <dt>Error</dt>
            <dd class="error">{host.error}</dd>
          </>
        )}
      </dl>
      <h4>Captured values</h4>
      {host.captured && Object.keys(host.captured).length > 0 ? (
        <table class="kv">
          <tbody>
            {Object.entries(host.captured).map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">None captured yet.</p>
      )}
      <h4>Stored rollback commands {host.rollbackStoredAt && <small>stored {fmtTime(host.rollbackStoredAt)}</small>}</h4>
      {host.rollbackCommands && host.rollbackCommands.length > 0 ? (
        <pre class="commands" data-testid="rollback-commands">
          {host.rollbackCommands.join('\n')}
        </pre>
      ) : (
        <p class="muted">No rollback stored yet.</p>
      )}
      <h4>Commands run</h4>
      {host.output && host.output.length > 0 ? (
        <ol class="output">
          {host.output.map((o, i) => (
            // After a rollback, verify failing is the good outcome.
            <li key={i} class={(o.phase === 'rollback-verify' ? o.exitCode !== 0 && !o.timedOut : o.exitCode === 0) ? 'ok' : 'bad'}>
              <div class="cmd-head">
                <span class="phase">{o.phase}</span>
                <span>exit {o.timedOut ? 'timed out' : (o.exitCode ?? '—')}</span>
                <span>{o.durationMs} ms</span>
                <span>{fmtTime(o.at)}</span>
              </div>
              <pre>{o.command}</pre>
              {o.stdout && <pre class="stdout">{o.stdout}</pre>}
              {o.stderr && <pre class="stderr">{o.stderr}</pre>}
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">Nothing run yet.</p>
      )}
    </article>
  );
}
