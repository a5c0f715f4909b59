// Admin: the audit trail and its hash-chain check.
import { useEffect, useState } from 'preact/hooks';
import { api, AuditEvent, ChainVerification } from './api';
import { chainVerdict } from './chain-verdict';
import { query, usePaged } from './paging';
import { ErrorBox, fmtTime, ListFooter, ListTable } from './ui';

export const AUDIT_PAGE_SIZE = 25;

export function AuditPage() {
  const { items, error, loading, more, refresh } = usePaged<AuditEvent>(
    (cursor) => `/audit${query({ cursor, limit: AUDIT_PAGE_SIZE })}`,
    [],
  );
  const [verification, setVerification] = useState<ChainVerification | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);

  async function verify() {
    setVerifying(true);
    setVerifyError(null);
    try {
      setVerification(await api<ChainVerification>('GET', '/audit/verify'));
    } catch (e) {
      setVerification(null);
      setVerifyError(`Verifying the chain failed: ${(e as Error).message}`);
    } finally {
      setVerifying(false);
    }
  }
  useEffect(() => void verify(), []);

  return (
    <section>
      <div class="title">
        <h2>Audit trail</h2>
        <button
          type="button"
          onClick={() => {
            refresh();
            void verify();
          }}
          disabled={verifying}
        >
          {verifying ? 'Verifying…' : 'Refresh and verify'}
        </button>
      </div>
      {verification && (
        <p
          class={verification.valid ? 'verdict ok' : 'verdict broken'}
          role="status"
          data-testid="chain-verdict"
          data-valid={String(verification.valid)}
        >
          {chainVerdict(verification)}
        </p>
      )}
      {verifyError && <ErrorBox message={verifyError} />}
      {error && <ErrorBox message={error} />}
      <ListTable label="Audit trail, newest first" columns={['#', 'When', 'Actor', 'Action', 'Resource', 'Outcome', 'Request']}>
        {items.map((e) => (
          <tr key={e.id} data-audit={e.id} class={verification?.firstBrokenId === e.id ? 'broken' : undefined}>
            <td>
              <code>{e.id}</code>
            </td>
            <td>{fmtTime(e.occurredAt)}</td>
            <td>
              {e.actorName ?? '—'}
              <span class="fp">{e.actorKind}</span>
            </td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>
              {e.resourceType ?? '—'}
              {e.resourceId && <code class="fp">{e.resourceId}</code>}
            </td>
            <td>
              <span class={`badge o-${e.outcome}`}>
                {e.outcome}
                {e.statusCode !== null && ` ${e.statusCode}`}
              </span>
            </td>
            <td>
              {e.requestId ? <code class="fp">{e.requestId}</code> : '—'}
              {e.address && <span class="fp">{e.address}</span>}
            </td>
          </tr>
        ))}
      </ListTable>
      <ListFooter loading={loading} count={items.length} error={error} more={more} empty="The audit trail is empty." />
    </section>
  );
}
