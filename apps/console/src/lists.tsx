import { useState } from 'preact/hooks';
import { api, Host, Me, Task, taskErrorText } from './api';
import { query, usePaged } from './paging';
import { Link } from './router';
import { Confirm, ErrorBox, FilterSelect, fmtTime, ListFooter, ListTable, StatusBadge } from './ui';

const TASK_STATUSES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
const TASK_TYPES = ['deploy', 'rollback', 'scan'] as const;
const PAGE_SIZE = 50;

function Progress({ task }: { task: Task }) {
  const p = task.progress;
  if (!p?.total) return <>{p?.phase ?? '—'}</>;
  return (
    <>
      <progress max={p.total} value={p.done ?? 0} /> {p.done ?? 0}/{p.total}
      {p.phase && <span class="muted"> · {p.phase}</span>}
    </>
  );
}

/** The cells both task tables end with: progress, who started it, when. */
function ProgressCells({ task }: { task: Task }) {
  return (
    <>
      <td>
        <Progress task={task} />
      </td>
      <td>{task.createdBy ?? '—'}</td>
      <td>{fmtTime(task.createdAt)}</td>
    </>
  );
}

function ResourceLink({ task }: { task: Task }) {
  if (!task.resourceId) return <>—</>;
  const short = <code>{task.resourceId.slice(0, 8)}</code>;
  if (task.resourceType === 'deployment') return <Link href={`/ui/deployments/${task.resourceId}`}>{short}</Link>;
  return (
    <>
      {task.resourceType} {short}
    </>
  );
}

export function DeploymentsList() {
  const [status, setStatus] = useState('');
  const { items, error, loading, more, refresh } = usePaged<Task>(
    (cursor) => `/tasks${query({ type: 'deploy', status, cursor, limit: PAGE_SIZE })}`,
    [status],
  );
  return (
    <section>
      <div class="title">
        <h2>Deployments</h2>
        <FilterSelect label="Task status" name="status" value={status} options={TASK_STATUSES} onChange={setStatus} />
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <ErrorBox message={error} />}
      <ListTable label="Deploy tasks, newest first" columns={['Deployment', 'Task', 'Outcome', 'Progress', 'By', 'Created']}>
        {items.map((t) => (
          <tr key={t.id}>
            <td>
              <ResourceLink task={t} />
            </td>
            <td>
              <StatusBadge status={t.status} />
            </td>
            <td>
              {typeof t.result?.deploymentStatus === 'string' ? <StatusBadge status={t.result.deploymentStatus} /> : '—'}
              {taskErrorText(t.error) && <span class="cell-error">{taskErrorText(t.error)}</span>}
            </td>
            <ProgressCells task={t} />
          </tr>
        ))}
      </ListTable>
      <ListFooter loading={loading} count={items.length} error={error} more={more} empty="No deployments match." />
    </section>
  );
}

export function TasksList() {
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  const { items, error, loading, more, refresh } = usePaged<Task>(
    (cursor) => `/tasks${query({ type, status, cursor, limit: PAGE_SIZE })}`,
    [type, status],
  );
  return (
    <section>
      <div class="title">
        <h2>Tasks</h2>
        <FilterSelect label="Type" name="type" value={type} options={TASK_TYPES} onChange={setType} />
        <FilterSelect label="Status" name="status" value={status} options={TASK_STATUSES} onChange={setStatus} />
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <ErrorBox message={error} />}
      <ListTable label="Tasks, newest first" columns={['Task', 'Type', 'Status', 'Resource', 'Progress', 'By', 'Created', 'Finished']}>
        {items.map((t) => (
          <tr key={t.id} data-task={t.id}>
            <td>
              <code>{t.id.slice(0, 8)}</code>
            </td>
            <td>{t.type}</td>
            <td>
              <StatusBadge status={t.status} />
              {taskErrorText(t.error) && <span class="cell-error">{taskErrorText(t.error)}</span>}
            </td>
            <td>
              <ResourceLink task={t} />
            </td>
            <ProgressCells task={t} />
            <td>{fmtTime(t.finishedAt)}</td>
          </tr>
        ))}
      </ListTable>
      <ListFooter loading={loading} count={items.length} error={error} more={more} empty="No tasks match." />
    </section>
  );
}

/** `role=web env=prod` (spaces or commas) → ['role=web', 'env=prod']; the API checks each. */
export function labelFilters(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function HostsList({ me }: { me: Me }) {
  const [labelText, setLabelText] = useState('');
  const [labels, setLabels] = useState<string[]>([]);
  const { items, error, loading, more, setItems } = usePaged<Host>(
    (cursor) => {
      const params = new URLSearchParams({ limit: '100' });
      for (const l of labels) params.append('label', l);
      if (cursor) params.set('cursor', cursor);
      return `/hosts?${params}`;
    },
    [labels.join('\n')],
  );
  const [trusting, setTrusting] = useState<Host | null>(null);
  const [trustError, setTrustError] = useState<string | null>(null);
  const [trusted, setTrusted] = useState<string | null>(null);
  const canTrust = me.permissions.includes('hosts:trust');

  async function trust(host: Host) {
    setTrusting(null);
    setTrustError(null);
    setTrusted(null);
    try {
      const updated = await api<Host>('POST', `/hosts/${encodeURIComponent(host.id)}/host-key/trust`, {});
      setItems((current) => current.map((h) => (h.id === updated.id ? updated : h)));
      setTrusted(
        `Pinned the host key of ${updated.name}${typeof updated.hostKeyFingerprint === 'string' ? `: ${updated.hostKeyFingerprint}` : ''}.`,
      );
    } catch (e) {
      setTrustError(`Trusting ${host.name} failed: ${(e as Error).message}`);
    }
  }

  return (
    <section>
      <div class="title">
        <h2>Hosts</h2>
        <form
          class="filter"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setLabels(labelFilters(labelText));
          }}
        >
          <label class="inline">
            Labels
            <input name="label" placeholder="role=web env=prod" value={labelText} onInput={(e) => setLabelText(e.currentTarget.value)} />
          </label>
          <button type="submit">Filter</button>
          {labels.length > 0 && (
            <button
              type="button"
              onClick={() => {
                setLabelText('');
                setLabels([]);
              }}
            >
              Clear
            </button>
          )}
        </form>
      </div>
      {error && <ErrorBox message={error} />}
      {trustError && <ErrorBox message={trustError} />}
      {trusted && (
        <p class="notice" role="status">
          {trusted}
        </p>
      )}
      <ListTable label="Hosts" columns={['Name', 'Address', 'Labels', 'Host key']}>
        {items.map((h) => (
          <tr key={h.id}>
            <td>{h.name}</td>
            <td>
              <code>{`${h.address}:${h.port}`}</code>
            </td>
            <td>
              {Object.entries(h.labels ?? {}).map(([k, v]) => (
                <span class="label" key={k}>
                  {k}={v}
                </span>
              ))}
            </td>
            <td>
              <StatusBadge status={String(h.hostKeyStatus ?? 'unknown')} />
              {typeof h.hostKeyFingerprint === 'string' && <code class="fp">{h.hostKeyFingerprint}</code>}
              {typeof h.hostKeyTrustedBy === 'string' && (
                <span class="fp">
                  trusted by {h.hostKeyTrustedBy} {typeof h.hostKeyTrustedAt === 'string' && fmtTime(h.hostKeyTrustedAt)}
                </span>
              )}
              {canTrust && h.hostKeyStatus === 'unpinned' && (
                <button type="button" onClick={() => setTrusting(h)}>
                  Trust key
                </button>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
      <ListFooter
        loading={loading}
        count={items.length}
        error={error}
        more={more}
        empty={labels.length ? 'No host has these labels.' : 'No hosts yet.'}
      />
      {trusting && (
        <Confirm
          title={`Trust the host key of ${trusting.name}?`}
          message={`The gateway connects once to ${trusting.address}:${trusting.port} and pins the key it presents. Only do this on a network you trust, or compare the fingerprint afterwards.`}
          confirmLabel="Trust key"
          danger={false}
          onConfirm={() => void trust(trusting)}
          onCancel={() => setTrusting(null)}
        />
      )}
    </section>
  );
}
