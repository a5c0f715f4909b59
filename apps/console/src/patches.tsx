import { useState } from 'preact/hooks';
import { api, Me, Patch } from './api';
import { query, usePaged } from './paging';
import { Confirm, ErrorBox, FilterSelect, fmtTime, ListFooter, ListTable, StatusBadge } from './ui';

export function PatchesList({ me }: { me: Me }) {
  const [status, setStatus] = useState('');
  const { items, error, loading, more, setItems, refresh } = usePaged<Patch>(
    (cursor) => `/patches${query({ status, cursor, limit: 50 })}`,
    [status],
  );
  const [approving, setApproving] = useState<Patch | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canApprove = me.permissions.includes('patches:approve');

  async function approve(patch: Patch) {
    setApproving(null);
    setActionError(null);
    setNotice(null);
    try {
      const approved = await api<Patch>('POST', `/patches/${encodeURIComponent(patch.id)}/approve`);
      setItems((current) => current.map((p) => (p.id === approved.id ? approved : p)));
      setNotice(`Approved "${approved.name}": it can be deployed now.`);
    } catch (e) {
      setActionError(`Approving "${patch.name}" failed: ${(e as Error).message}`);
    }
  }

  return (
    <section>
      <div class="title">
        <h2>Patches</h2>
        <FilterSelect label="Status" name="status" value={status} options={['draft', 'approved']} onChange={setStatus} />
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <ErrorBox message={error} />}
      {actionError && <ErrorBox message={actionError} />}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <ListTable label="Patches, newest first" columns={['Name', 'Status', 'Definition', 'Created', 'Approved']}>
        {items.map((p) => (
          <tr key={p.id} data-patch={p.id}>
            <td>
              {p.name}
              <code class="fp">{p.id.slice(0, 8)}</code>
            </td>
            <td>
              <StatusBadge status={p.status} />
              {canApprove && p.status === 'draft' && (
                <button type="button" class="primary" onClick={() => setApproving(p)}>
                  Approve
                </button>
              )}
            </td>
            <td>
              <PatchDefinition patch={p} />
            </td>
            <td>
              {p.createdBy}
              <span class="fp">{fmtTime(p.createdAt)}</span>
            </td>
            <td>
              {p.approvedBy ?? '—'}
              {p.approvedAt && <span class="fp">{fmtTime(p.approvedAt)}</span>}
            </td>
          </tr>
        ))}
      </ListTable>
      <ListFooter loading={loading} count={items.length} error={error} more={more} empty="No patches match." />
      {approving && (
        <Confirm
          title={`Approve "${approving.name}"?`}
          message="An approved patch can be deployed to any host, and its commands can never change again."
          confirmLabel="Approve"
          danger={false}
          onConfirm={() => void approve(approving)}
          onCancel={() => setApproving(null)}
        />
      )}
    </section>
  );
}

function PatchDefinition({ patch }: { patch: Patch }) {
  const pkg = patch.package;
  const summary = pkg
    ? `apt ${pkg.source ? `source ${pkg.source}` : pkg.name}=${pkg.version}${pkg.restart?.length ? `, restarts ${pkg.restart.join(', ')}` : ''}`
    : `${patch.apply.length} apply, ${patch.rollback.length} rollback command${patch.rollback.length === 1 ? '' : 's'}`;
  return (
    <details>
      <summary>{summary}</summary>
      <dl class="def">
        {Object.keys(patch.capture).length > 0 && (
          <>
            <dt>Capture</dt>
            <dd>
              <pre>
                {Object.entries(patch.capture)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join('\n')}
              </pre>
            </dd>
          </>
        )}
        <dt>Apply</dt>
        <dd>
          <pre>{patch.apply.join('\n')}</pre>
        </dd>
        <dt>Rollback</dt>
        <dd>{patch.rollback.length ? <pre>{patch.rollback.join('\n')}</pre> : <span class="muted">none</span>}</dd>
        <dt>Verify</dt>
        <dd>{patch.verify ? <pre>{patch.verify}</pre> : <span class="muted">none</span>}</dd>
        <dt>Health</dt>
        <dd>
          {patch.healthChecks.length ? (
            <pre>
              {patch.healthChecks
                .map((h) =>
                  h.type === 'command' ? `command: ${h.command}` : h.type === 'http' ? `http :${h.port}${h.path}` : `${h.type} :${h.port}`,
                )
                .join('\n')}
            </pre>
          ) : (
            <span class="muted">none</span>
          )}
        </dd>
        <dt>Timeout</dt>
        <dd>{patch.timeoutSeconds} s a command</dd>
      </dl>
    </details>
  );
}
