// Admin: API keys (the new key shown once; revoke).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiKey, Me } from './api';
import { query, usePaged } from './paging';
import { ErrorBox, fmtTime, ListFooter, ListTable, StatusBadge } from './ui';
import { useActions } from './admin-actions';

/** Copies with the Clipboard API; where it is missing or refused, selects the text and uses the legacy copy command. */
async function copyText(input: HTMLInputElement): Promise<boolean> {
  try {
    if (!navigator.clipboard) throw new Error('no clipboard API');
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

function NewKey({ created, onDone }: { created: ApiKey & { key: string }; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  return (
    <div class="new-key" role="region" aria-label="New API key">
      <p>
        <strong>Copy the key of “{created.name}” now:</strong> it is shown this once and only its hash is stored.
      </p>
      <div class="copy-row">
        <input
          ref={input}
          readOnly
          value={created.key}
          aria-label="New API key"
          data-testid="new-key"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          class="primary"
          onClick={async () => {
            if (input.current) setCopied((await copyText(input.current)) ? 'yes' : 'no');
          }}
        >
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === 'yes' && (
        <p class="muted" role="status">
          Copied to the clipboard.
        </p>
      )}
      {copied === 'no' && (
        <p class="error" role="alert">
          The browser did not allow copying: the key is selected, press Ctrl+C (⌘C) to copy it.
        </p>
      )}
    </div>
  );
}

export function ApiKeysPage({ me }: { me: Me }) {
  const { items, error, loading, more, setItems } = usePaged<ApiKey>((cursor) => `/api-keys${query({ cursor, limit: 100 })}`, []);
  const actions = useActions();
  const [roles, setRoles] = useState<string[]>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);

  // A key may not have powers its creator lacks: offer only the roles within ours.
  useEffect(() => {
    api<{ items: { role: string; permissions: string[] }[] }>('GET', '/roles').then(
      (r) => setRoles(r.items.filter((x) => x.permissions.every((p) => me.permissions.includes(p))).map((x) => x.role)),
      (e: Error) => actions.fail(`Loading the roles failed: ${e.message}`),
    );
  }, []);

  const create = (event: Event) => {
    event.preventDefault();
    void actions.perform(async () => {
      try {
        const body: Record<string, string> = { name: name.trim(), role };
        if (expires) body.expiresAt = new Date(expires).toISOString();
        const key = await api<ApiKey & { key: string }>('POST', '/api-keys', body);
        const { key: _secret, ...view } = key;
        setItems((current) => [view, ...current]);
        setCreated(key);
        setName('');
        setExpires('');
      } catch (e) {
        throw new Error(`Creating the key failed: ${(e as Error).message}`);
      }
    });
  };

  const revoke = (key: ApiKey) =>
    actions.ask({
      title: `Revoke the key “${key.name}”?`,
      message: `Every client using ${key.prefix}… is refused from now on. This cannot be undone.`,
      confirmLabel: 'Revoke',
      danger: true,
      run: async () => {
        try {
          await api('DELETE', `/api-keys/${encodeURIComponent(key.id)}`);
          setItems((current) => current.map((k) => (k.id === key.id ? { ...k, revokedAt: new Date().toISOString() } : k)));
          actions.setNotice(`Revoked “${key.name}”.`);
        } catch (e) {
          throw new Error(`Revoking “${key.name}” failed: ${(e as Error).message}`);
        }
      },
    });

  const state = (k: ApiKey) => (k.revokedAt ? 'revoked' : k.expiresAt && new Date(k.expiresAt) <= new Date() ? 'expired' : 'active');
  return (
    <section>
      <div class="title">
        <h2>API keys</h2>
      </div>
      <form class="create" aria-label="Create an API key" onSubmit={create}>
        <label>
          Name
          <input
            name="key-name"
            required
            maxLength={100}
            pattern="[a-zA-Z0-9 _.:\-]{1,100}"
            placeholder="ci-pipeline"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          Role
          <select name="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {(roles.length ? roles : [me.role]).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Expires (optional)
          <input name="key-expires" type="datetime-local" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {actions.view}
      {error && <ErrorBox message={error} />}
      <ListTable label="API keys" columns={['Name', 'Key', 'Role', 'State', 'Created', 'Last used', 'Expires']}>
        {items.map((k) => (
          <tr key={k.id} data-key={k.name}>
            <td>{k.name}</td>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td>{k.role}</td>
            <td>
              <StatusBadge status={state(k)} />
              {state(k) === 'active' && (
                <button type="button" class="danger" onClick={() => revoke(k)}>
                  Revoke
                </button>
              )}
              {k.revokedAt && <span class="fp">{fmtTime(k.revokedAt)}</span>}
            </td>
            <td>{fmtTime(k.createdAt)}</td>
            <td>{fmtTime(k.lastUsedAt)}</td>
            <td>{k.expiresAt ? fmtTime(k.expiresAt) : 'never'}</td>
          </tr>
        ))}
      </ListTable>
      <ListFooter loading={loading} count={items.length} error={error} more={more} empty="No API keys yet." />
    </section>
  );
}
