import { useEffect, useState } from 'preact/hooks';
import { api, Host, Me, Page, Task } from './api';
import { Link } from './router';
import { Confirm, ErrorBox, fmtTime, StatusBadge } from './ui';

const TASK_STATUSES = ['', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'];

/** Cursor paging: the first page on a filter change, "Load more" appends the next. */
function usePaged<T>(path: (cursor: string | null) => string, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  async function load(cursor: string | null, replace: boolean) {
    setLoading(true);
    try {
      const page = await api<Page<T>>('GET', path(cursor));
      setItems((current) => (replace ? page.items : [...current, ...page.items]));
      setNext(page.nextCursor);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    void load(null, true);
  }, deps);
  return {
    items,
    error,
    loading,
    more: next ? () => void load(next, false) : null,
    refresh: () => void load(null, true),
    setItems,
  };
}

export function DeploymentsList() {
  const [status, setStatus] = useState('');
  const query = (cursor: string | null) => {
    const params = new URLSearchParams({ type: 'deploy', limit: '50' });
    if (status) params.set('status', status);
    if (cursor) params.set('cursor', cursor);
    return `/tasks?${params}`;
  };
  const { items, error, loading, more, refresh } = usePaged<Task>(query, [status]);
  return (
    <section>
      <div class="title">
        <h2>Deployments</h2>
        <label class="inline">
          Task status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            {TASK_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <ErrorBox message={error} />}
      <div class="table-wrap">
        <table class="list" aria-label="Deploy tasks, newest first">
          <thead>
            <tr>
              <th scope="col">Deployment</th>
              <th scope="col">Task</th>
              <th scope="col">Progress</th>
              <th scope="col">By</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.resourceId ? (
                    <Link href={`/ui/deployments/${t.resourceId}`}>
                      <code>{t.resourceId.slice(0, 8)}</code>
                    </Link>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  <StatusBadge status={t.status} />
                </td>
                <td>
                  {t.progress?.total ? (
                    <>
                      <progress max={t.progress.total} value={t.progress.done ?? 0} /> {t.progress.done ?? 0}/{t.progress.total}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{t.createdBy ?? '—'}</td>
                <td>{fmtTime(t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && items.length === 0 && !error && <p class="muted">No deployments yet.</p>}
      {loading && <p aria-busy="true">Loading…</p>}
      {more && !loading && (
        <button type="button" onClick={more}>
          Load more
        </button>
      )}
    </section>
  );
}

export function HostsList({ me }: { me: Me }) {
  const query = (cursor: string | null) => `/hosts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const { items, error, loading, more, setItems } = usePaged<Host>(query, []);
  const [trusting, setTrusting] = useState<Host | null>(null);
  const [trustError, setTrustError] = useState<string | null>(null);
  const canTrust = me.permissions.includes('hosts:trust');

  async function trust(host: Host) {
    setTrusting(null);
    setTrustError(null);
    try {
      const updated = await api<Host>('POST', `/hosts/${encodeURIComponent(host.id)}/host-key/trust`, {});
      setItems((current) => current.map((h) => (h.id === updated.id ? updated : h)));
    } catch (e) {
      setTrustError(`Trusting ${host.name} failed: ${(e as Error).message}`);
    }
  }

  return (
    <section>
      <h2>Hosts</h2>
      {error && <ErrorBox message={error} />}
      {trustError && <ErrorBox message={trustError} />}
      <div class="table-wrap">
        <table class="list" aria-label="Hosts">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">Labels</th>
              <th scope="col">Host key</th>
            </tr>
          </thead>
          <tbody>
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
                  {canTrust && h.hostKeyStatus === 'unpinned' && (
                    <button type="button" onClick={() => setTrusting(h)}>
                      Trust key
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && items.length === 0 && !error && <p class="muted">No hosts yet.</p>}
      {loading && <p aria-busy="true">Loading…</p>}
      {more && !loading && (
        <button type="button" onClick={more}>
          Load more
        </button>
      )}
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
