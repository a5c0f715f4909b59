import { render } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, Me, setToken } from './api';
import { DeploymentsList, HostsList } from './lists';
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
              <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
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
            <input name="apiKey" type="password" autocomplete="off" required value={apiKey} onInput={(e) => setApiKey(e.currentTarget.value)} />
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
  const rollout = /^\/ui\/deployments\/([^/]+)$/.exec(path);
  let page;
  if (rollout) page = <RolloutView id={decodeURIComponent(rollout[1]!)} me={me} />;
  else if (path === '/ui/hosts') page = <HostsList me={me} />;
  else if (path === '/ui' || path === '/ui/' || path === '/ui/deployments') page = <DeploymentsList />;
  else
    page = (
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
          <Link href="/ui/deployments">Deployments</Link>
          <Link href="/ui/hosts">Hosts</Link>
        </nav>
        <span class="who" data-testid="who">
          {me.name} · {me.role}
        </span>
        <button type="button" onClick={onLogout}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
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
