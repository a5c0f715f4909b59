import { useEffect, useState } from 'preact/hooks';
import { api, Finding, Host, Me, Patch, SEVERITIES } from './api';
import { query, usePaged } from './paging';
import { Link } from './router';
import { ErrorBox, FilterSelect, fmtTime, ListFooter, ListTable } from './ui';

interface FindingPatch {
  created: boolean;
  patch: Patch;
  openFindings: number;
}

// Findings name hosts by id: their names are looked up once per page and kept.
const hostNames = new Map<string, string>();

function useHostNames(ids: string[]): Map<string, string> {
  const [, setVersion] = useState(0);
  const missing = [...new Set(ids)].filter((id) => !hostNames.has(id));
  useEffect(() => {
    if (missing.length === 0) return;
    let live = true;
    void Promise.all(
      missing.map((id) =>
        api<Host>('GET', `/hosts/${encodeURIComponent(id)}`).then(
          (h) => hostNames.set(id, h.name),
          // A host deleted since the scan: say so instead of an id that leads nowhere.
          () => hostNames.set(id, `${id.slice(0, 8)} (removed)`),
        ),
      ),
    ).then(() => live && setVersion((v) => v + 1));
    return () => {
      live = false;
    };
  }, [missing.join()]);
  return hostNames;
}

export function FindingsList({ me }: { me: Me }) {
  const [severities, setSeverities] = useState<string[]>([]);
  const [status, setStatus] = useState('open');
  const { items, error, loading, more, setItems } = usePaged<Finding>(
    (cursor) => `/findings${query({ severity: severities.join(','), status, cursor, limit: 100 })}`,
    [severities.join(), status],
  );
  const names = useHostNames(items.map((f) => f.hostId));
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ text: string; patchId: string } | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const canPatch = me.permissions.includes('patches:write');

  async function makePatch(finding: Finding) {
    setBusy(finding.id);
    setNotice(null);
    setActionError(null);
    try {
      const result = await api<FindingPatch>('POST', `/findings/${encodeURIComponent(finding.id)}/patch`, {});
      const { patch } = result;
      setItems((current) =>
        current.map((f) => (f.package === finding.package && f.fixedVersion === finding.fixedVersion ? { ...f, patchId: patch.id } : f)),
      );
      const covers = `${result.openFindings} open finding${result.openFindings === 1 ? '' : 's'} of ${finding.package}`;
      setNotice({
        text: result.created
          ? `Created draft patch "${patch.name}" for ${covers}. Approve it before deploying.`
          : `Patch "${patch.name}" (${patch.status}) already installs this fix; it covers ${covers}.`,
        patchId: patch.id,
      });
    } catch (e) {
      setActionError(`Making a patch for ${finding.advisoryId} on ${finding.package} failed: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  const toggle = (severity: string) =>
    setSeverities((current) =>
      current.includes(severity) ? current.filter((s) => s !== severity) : SEVERITIES.filter((s) => s === severity || current.includes(s)),
    );

  return (
    <section>
      <div class="title">
        <h2>Findings</h2>
        <fieldset class="checks">
          <legend>Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s} class={`check sev-${s}`}>
              <input type="checkbox" name="severity" value={s} checked={severities.includes(s)} onChange={() => toggle(s)} />
              {s}
            </label>
          ))}
        </fieldset>
        <FilterSelect label="Status" name="status" value={status} options={['open', 'resolved']} onChange={setStatus} />
      </div>
      {error && <ErrorBox message={error} />}
      {actionError && <ErrorBox message={actionError} />}
      {notice && (
        <p class="notice" role="status">
          {notice.text} <Link href="/ui/patches">Patches</Link>
        </p>
      )}
      <ListTable label="Findings, newest first" columns={['Severity', 'Advisory', 'Host', 'Package', 'Installed → fixed', 'Seen', 'Patch']}>
        {items.map((f) => (
          <tr key={f.id} data-finding={f.id} data-package={f.package}>
            <td>
              <span class={`badge sev-${f.severity}`} data-severity={f.severity}>
                {f.severity}
                {f.score !== null && ` ${f.score.toFixed(1)}`}
              </span>
            </td>
            <td>
              <code>{f.advisoryId}</code>
              {f.aliases.length > 0 && <span class="fp">{f.aliases.join(', ')}</span>}
            </td>
            <td>{names.get(f.hostId) ?? <code>{f.hostId.slice(0, 8)}</code>}</td>
            <td>
              {f.package}
              {f.matchedName !== f.package && <span class="fp">source {f.matchedName}</span>}
            </td>
            <td>
              <code>{f.installedVersion}</code> → {f.fixedVersion ? <code>{f.fixedVersion}</code> : <span class="muted">no fix yet</span>}
            </td>
            <td>
              {fmtTime(f.lastSeenAt)}
              {f.status === 'resolved' && <span class="fp">resolved {fmtTime(f.resolvedAt)}</span>}
            </td>
            <td>
              {f.patchId ? (
                <Link href="/ui/patches">
                  patch <code>{f.patchId.slice(0, 8)}</code>
                </Link>
              ) : canPatch && f.status === 'open' && f.fixedVersion ? (
                <button type="button" class="primary" disabled={busy === f.id} onClick={() => void makePatch(f)}>
                  {busy === f.id ? 'Making…' : 'Make patch'}
                </button>
              ) : (
                '—'
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
        empty="No findings match: run a scan, or widen the filter."
      />
    </section>
  );
}
