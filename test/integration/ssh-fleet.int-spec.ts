// The SSH capability against real OpenSSH servers (test/fleet), with pinned
// host keys. Subnet 127.61 belongs to this file.
import * as net from 'node:net';
import { Test } from '@nestjs/testing';
import {
  HostKeyMismatchError,
  SshAuthError,
  SshConnectionError,
  SshConnector,
  SshModule,
  SshConnectTimeoutError,
  SshSession,
  type SshTarget,
} from '@vulnzero/ssh';
import { FleetHost, mapWithConcurrency, SshFleet } from '../fleet/fleet';

jest.setTimeout(120_000);

const fleet = new SshFleet({ subnet: '127.61' });
let connector: SshConnector;

function targetOf(host: FleetHost, overrides: Partial<SshTarget> = {}): SshTarget {
  return {
    address: host.address,
    port: host.port,
    username: fleet.username,
    privateKey: fleet.privateKey,
    hostKey: host.hostKey,
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

async function withSession<T>(host: FleetHost, run: (session: SshSession) => Promise<T>): Promise<T> {
  const session = await connector.connect(targetOf(host));
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

beforeAll(async () => {
  // Through the Nest module, as the worker gets it.
  const moduleRef = await Test.createTestingModule({ imports: [SshModule] }).compile();
  connector = moduleRef.get(SshConnector);
  await fleet.start(20);
});

afterAll(async () => {
  await fleet.stop();
});

beforeEach(async () => {
  await fleet.reset();
});

describe('SshConnector against a real sshd fleet', () => {
  it('runs a command on 20 hosts in parallel, each answering with its own name and writing its own state', async () => {
    const results = await Promise.all(
      fleet.hosts.map((host) =>
        withSession(host, (session) =>
          session.exec('echo "$VZ_HOST_NAME" && echo "written by $VZ_HOST_NAME" > "$VZ_STATE_DIR/marker"', {
            timeoutMs: 10_000,
          }),
        ),
      ),
    );

    expect(results).toHaveLength(20);
    for (const [i, host] of fleet.hosts.entries()) {
      expect(results[i]).toMatchObject({
        exitCode: 0,
        signal: null,
        timedOut: false,
        truncated: false,
        stderr: '',
      });
      expect(results[i].stdout).toBe(`${host.name}\n`);
      await expect(fleet.readHostFile(host, 'marker')).resolves.toBe(`written by ${host.name}\n`);
    }
  });

  it('runs many commands one after another over one connection', async () => {
    const [host] = fleet.hosts;
    await withSession(host, async (session) => {
      const capture = await session.exec('cat "$VZ_STATE_DIR/version" 2>/dev/null || echo none', {
        timeoutMs: 5_000,
      });
      const apply = await session.exec('echo 2.0 > "$VZ_STATE_DIR/version"', { timeoutMs: 5_000 });
      const verify = await session.exec('grep -qx 2.0 "$VZ_STATE_DIR/version"', {
        timeoutMs: 5_000,
      });
      const dpkg = await session.exec('dpkg-query -W', { timeoutMs: 5_000 });
      expect([capture.stdout, apply.exitCode, verify.exitCode, dpkg.exitCode]).toEqual(['none\n', 0, 0, 0]);
    });
    await expect(fleet.readHostFile(host, 'version')).resolves.toBe('2.0\n');
  });

  it('refuses a host presenting another key than the pinned one, naming both fingerprints, before any command runs', async () => {
    const [victim, other] = fleet.hosts;
    const connecting = connector.connect(targetOf(victim, { hostKey: other.hostKey })).then(async (session) => {
      // Only reached if the pin were ignored: this would create the file.
      await session.exec('touch "$VZ_STATE_DIR/pwned"', { timeoutMs: 5_000 });
      await session.close();
    });

    const error = await connecting.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const mismatch = error as HostKeyMismatchError;
    expect(mismatch.kind).toBe('host_key_mismatch');
    expect(mismatch.message).toContain('host key mismatch');
    expect(mismatch.message).toContain(other.hostKeyFingerprint);
    expect(mismatch.message).toContain(victim.hostKeyFingerprint);
    expect(mismatch.expectedFingerprint).toBe(other.hostKeyFingerprint);
    expect(mismatch.presentedFingerprint).toBe(victim.hostKeyFingerprint);
    expect(mismatch.presentedKey).toBe(victim.hostKey);
    await expect(fleet.hostFileExists(victim, 'pwned')).resolves.toBe(false);
  });

  it('refuses a pinned key that is not a valid OpenSSH public key line without connecting', async () => {
    await expect(connector.connect(targetOf(fleet.hosts[0], { hostKey: 'ssh-ed25519 not-base64!' }))).rejects.toThrow(/invalid host key/);
  });

  it('reports a wrong client key as an authentication error', async () => {
    const { privateKey: foreignKey } = await import('node:crypto').then(({ generateKeyPairSync }) =>
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      }),
    );
    const error = await connector.connect(targetOf(fleet.hosts[0], { privateKey: foreignKey })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SshAuthError);
    expect((error as SshAuthError).kind).toBe('auth');
  });

  it('reports a closed port as a network error', async () => {
    const error = await connector.connect(targetOf(fleet.hosts[0], { port: 2 })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SshConnectionError);
    expect((error as SshConnectionError).kind).toBe('network');
  });

  it('reports a server that accepts TCP but never speaks SSH as a connect timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(2222, '127.61.0.250', resolve));
    try {
      const error = await connector
        .connect(targetOf(fleet.hosts[0], { address: '127.61.0.250', connectTimeoutMs: 500 }))
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SshConnectTimeoutError);
      expect((error as SshConnectTimeoutError).kind).toBe('timeout');
    } finally {
      silent.close();
    }
  });

  it('kills a command that outlives its timeout, children included, and reports timedOut', async () => {
    const host = fleet.hosts[2];
    await withSession(host, async (session) => {
      // `sleep` runs as a child of the shell: the kill must reach the process group.
      const result = await session.exec('echo started; sleep 31.5; echo finished > "$VZ_STATE_DIR/finished"', {
        timeoutMs: 1_000,
      });
      expect(result).toMatchObject({ timedOut: true, exitCode: null, stdout: 'started\n' });
      // The connection stays usable after a timed-out command.
      const after = await session.exec('pgrep -u "$(id -u)" -f "sleep 3[1].5" || true', {
        timeoutMs: 5_000,
      });
      expect(after).toMatchObject({ exitCode: 0, stdout: '' });
    });
    await expect(fleet.hostFileExists(host, 'finished')).resolves.toBe(false);
  });

  it('keeps only the last bytes of output beyond the bound', async () => {
    await withSession(fleet.hosts[3], async (session) => {
      // 100 000 numbered lines: the tail must end with the last line.
      const result = await session.exec('seq 1 100000; seq 1 5 >&2', {
        timeoutMs: 10_000,
        maxOutputBytes: 1000,
      });
      expect(result.exitCode).toBe(0);
      expect(result.truncated).toBe(true);
      expect(Buffer.byteLength(result.stdout)).toBe(1000);
      expect(result.stdout.endsWith('99999\n100000\n')).toBe(true);
      expect(result.stderr).toBe('1\n2\n3\n4\n5\n');
    });
  });

  it('streams output as it arrives', async () => {
    const seen: string[] = [];
    await withSession(fleet.hosts[4], (session) =>
      session.exec('echo out; echo err >&2', {
        timeoutMs: 5_000,
        onOutput: (stream, chunk) => seen.push(`${stream}:${chunk.toString()}`),
      }),
    );
    expect(seen.sort()).toEqual(['stderr:err\n', 'stdout:out\n']);
  });

  it.each([
    ['success', 'true', 0],
    ['failure', 'false', 1],
    ['a chosen exit code', 'exit 42', 42],
    ['command not found', 'no-such-command-vz', 127],
  ])('reports the exit code of %s', async (_name, command, exitCode) => {
    const result = await withSession(fleet.hosts[5], (session) => session.exec(command, { timeoutMs: 5_000 }));
    expect(result).toMatchObject({ exitCode, signal: null, timedOut: false });
  });

  it('reports a command killed by a signal', async () => {
    const result = await withSession(fleet.hosts[5], (session) => session.exec('kill -TERM $$', { timeoutMs: 5_000 }));
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: false });
  });

  it('fetches the key each host really presents', async () => {
    const fetched = await mapWithConcurrency(fleet.hosts.slice(0, 5), 5, (host) => connector.fetchHostKey(host.address, host.port, 5_000));
    expect(fetched).toEqual(fleet.hosts.slice(0, 5).map((h) => h.hostKey));
  });
});
