import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiKey, AuditEvent, ChainVerification, Me, ROLES, User } from './api';
import { chainVerdict } from './chain-verdict';
import { query, usePaged } from './paging';
import { Confirm, ErrorBox, fmtTime, ListFooter, ListTable, StatusBadge } from './ui';

interface Pending {
  title: string;
  message: string;
  confirmLabel: string;
  danger: boolean;
  run: () => Promise<void>;
}

/** One confirmation at a time, and the outcome of the last action in words. */
function useActions() {
  const [pending, setPending] = useState<Pending | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const perform = async (run: () => Promise<void>) => {
    setError(null);
    setNotice(null);
    try {
      await run();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const view = (
    <>
      {error && <ErrorBox message={error} />}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {pending && (
        <Confirm
          title={pending.title}
          message={pending.message}
          confirmLabel={pending.confirmLabel}
          danger={pending.danger}
          onConfirm={() => {
            const { run } = pending;
            setPending(null);
            void perform(run);
          }}
          onCancel={() => setPending(null)}
        />
      )}
    </>
  );
  return { view, ask: setPending, perform, setNotice, fail: setError };
}

export function UsersPage({ me }: { me: Me }) {
  const { items, error, loading, more, setItems } = usePaged<User>((cursor) => `/users${query({ cursor, limit: 100 })}`, []);
  const actions = useActions();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const replace = (user: User) => setItems((current) => current.map((u) => (u.id === user.id ? user : u)));

  const create = (event: Event) => {
    event.preventDefault();
    void actions.perform(async () => {
      try {
        const user = await api<User>('POST', '/users', { username: username.trim(), password, role });
        setItems((current) => [user, ...current.filter((u) => u.id !== user.id)]);
        setUsername('');
        setPassword('');
        actions.setNotice(`Created ${user.username} (${user.role}).`);
      } catch (e) {
        throw new Error(`Creating ${username.trim() || 'the user'} failed: ${(e as Error).message}`);
      }
    });
  };

  const changeRole = (user: User, next: string) =>
    actions.ask({
      title: `Make ${user.username} ${next === 'admin' ? 'an' : 'a'} ${next}?`,
      message: `${user.username} is ${user.role} now. Changing the role ends their signed-in sessions; their API keys keep the role they were created with.`,
      confirmLabel: `Make ${next}`,
      danger: next === 'admin',
      run: async () => {
        try {
          replace(await api<User>('PATCH', `/users/${encodeURIComponent(user.id)}`, { role: next }));
          actions.setNotice(`${user.username} is now ${next}.`);
        } catch (e) {
          throw new Error(`Changing the role of ${user.username} failed: ${(e as Error).message}`);
        }
      },
    });

  const setDisabled = (user: User, disabled: boolean) =>
    actions.ask({
      title: `${disabled ? 'Disable' : 'Enable'} ${user.username}?`,
      message: disabled
        ? `${user.username} can no longer sign in, and their signed-in sessions end now.`
        : `${user.username} can sign in again with their password.`,
      confirmLabel: disabled ? 'Disable' : 'Enable',
      danger: disabled,
      run: async () => {
        try {
          replace(await api<User>('PATCH', `/users/${encodeURIComponent(user.id)}`, { disabled }));
          actions.setNotice(`${user.username} is ${disabled ? 'disabled' : 'enabled'}.`);
        } catch (e) {
          throw new Error(`${disabled ? 'Disabling' : 'Enabling'} ${user.username} failed: ${(e as Error).message}`);
        }
      },
    });

  return (
    <section>
      <div class="title">
        <h2>Users</h2>
      </div>
      <form class="create" aria-label="Create a user" onSubmit={create}>
        <label>
          Username
          <input
            name="new-username"
            required
            autocomplete="off"
            pattern="[a-zA-Z0-9_.\-]{3,64}"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Initial password
          <input
            name="new-password"
            type="password"
            required
            minLength={12}
            autocomplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <label>
          Role
          <select name="new-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create user
        </button>
        <p class="hint">At least 12 characters, not the username, not a common password.</p>
      </form>
      {actions.view}
      {error && <ErrorBox message={error} />}
      <ListTable label="Users" columns={['User', 'Role', 'State', 'Created']}>
        {items.map((u) => (
          <tr key={u.id} data-user={u.username}>
            <td>
              {u.username}
              {u.id === me.id && <span class="fp">you</span>}
            </td>
            <td>
              <select
                aria-label={`Role of ${u.username}`}
                value={u.role}
                disabled={u.id === me.id}
                onChange={(e) => {
                  const next = e.currentTarget.value;
                  e.currentTarget.value = u.role; // stays until confirmed
                  changeRole(u, next);
                }}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </td>
            <td>
              <StatusBadge status={u.disabled ? 'disabled' : 'active'} />
              {u.id !== me.id && (
                <button type="button" class={u.disabled ? '' : 'danger'} onClick={() => setDisabled(u, !u.disabled)}>
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
              )}
            </td>
            <td>{fmtTime(u.createdAt)}</td>
          </tr>
        ))}
      </ListTable>
      <ListFooter loading={loading} count={items.length} error={error} more={more} empty="No users." />
    </section>
  );
}

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
