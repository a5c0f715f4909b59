import { render } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, Me, setToken } from './api';
import { ApiKeysPage, AuditPage, UsersPage } from './admin';
import { FindingsList } from './findings';
import { DeploymentsList, HostsList, TasksList } from './lists';
import { pageOf, pagesFor } from './nav';
import { PatchesList } from './patches';
import { ErrorBox } from './ui';
import { RolloutView } from './rollout';
import { Link, navigate, usePath } from './router';
import './styles.css';

function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [mode, setMode] = useState<'password' | 'key'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'password') {
        const { accessToken } = await api<{ accessToken: string }>('POST', '/auth/login', { username, password });
        setToken(accessToken);
      } else {
        setToken(apiKey.trim());
      }
      onLogin(await api<Me>('GET', '/auth/me'));
    } catch (e) {
      setToken(null);
      setError(e instanceof ApiError && e.status === 401 ? 'Wrong username, password or API key.' : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <h1>VulnZero</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'password'} onClick={() => setMode('password')}>
            Password
          </button>
          <button type="button" role="tab" aria-selected={mode === 'key'} onClick={() => setMode('key')}>
            API key
          </button>
        </div>
        {mode === 'password' ? (
          <>
            <label>
              Username
              <input
                name="username"
                autocomplete="username"
                required
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
              />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autocomplete="current-password"
                required
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
          </>
        ) : (
          <label>
            API key
            <input
              name="apiKey"
              type="password"
              autocomplete="off"
              required
              value={apiKey}
              onInput={(e) => setApiKey(e.currentTarget.value)}
            />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">The session lives in this tab only: reloading the page signs you out.</p>
      </form>
    </main>
  );
}

function Shell({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const path = usePath();
  const pages = pagesFor(me.permissions);
  const page = pageOf(path);
  const rollout = /^\/ui\/deployments\/([^/]+)$/.exec(path);
  let content;
  if (page && !me.permissions.includes(page.permission)) {
    content = (
      <section>
        <h2>{page.label}</h2>
        <ErrorBox message={`Your role (${me.role}) cannot use this page: it needs the ${page.permission} permission.`} />
      </section>
    );
  } else if (rollout) content = <RolloutView id={decodeURIComponent(rollout[1]!)} me={me} />;
  else if (path === '/ui' || path === '/ui/' || path === '/ui/deployments') content = <DeploymentsList />;
  else if (path === '/ui/tasks') content = <TasksList />;
  else if (path === '/ui/hosts') content = <HostsList me={me} />;
  else if (path === '/ui/findings') content = <FindingsList me={me} />;
  else if (path === '/ui/patches') content = <PatchesList me={me} />;
  else if (path === '/ui/users') content = <UsersPage me={me} />;
  else if (path === '/ui/api-keys') content = <ApiKeysPage me={me} />;
  else if (path === '/ui/audit') content = <AuditPage />;
  else
    content = (
      <section>
        <h2>Not found</h2>
        <p>
          No page at <code>{path}</code>. <Link href="/ui/deployments">Deployments</Link>
        </p>
      </section>
    );
  return (
    <>
      <header class="top">
        <strong>VulnZero</strong>
        <nav aria-label="Main">
          {pages.map((p) => (
            <Link key={p.path} href={p.path} class={p.admin ? 'admin' : undefined} current={page?.path === p.path}>
              {p.label}
            </Link>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {me.name} · {me.role}
        </span>
        <button type="button" onClick={onLogout}>
          Sign out
        </button>
      </header>
      <main>{content}</main>
    </>
  );
}

function App() {
  const [me, setMe] = useState<Me | null>(null);
  if (!me) return <Login onLogin={setMe} />;
  return (
    <Shell
      me={me}
      onLogout={() => {
        setToken(null);
        setMe(null);
        navigate('/ui/deployments');
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
