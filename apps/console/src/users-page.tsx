// Admin: users (create, change role, disable, delete).
import { useState } from 'preact/hooks';
import { api, Me, ROLES, User } from './api';
import { query, usePaged } from './paging';
import { ErrorBox, fmtTime, ListFooter, ListTable, StatusBadge } from './ui';
import { useActions } from './admin-actions';

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
