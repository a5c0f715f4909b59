// SshSession.execSequence against real OpenSSH servers: several commands in
// one channel, each with its own status, output and deadline. Subnet 127.74
// belongs to this file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { dropHostKeyAnnouncements, parseHostKey, ResidentShellGoneError, SshAuthError, SshConnector, SshSession } from '@vulnzero/ssh';
import { SshFleet } from '../fleet/fleet';

jest.setTimeout(120_000);

const fleet = new SshFleet({ subnet: '127.74' });
let session: SshSession;

beforeAll(async () => {
  await fleet.start(1);
  const host = fleet.hosts[0];
  if (!host) throw new Error('no fleet host');
  session = await new SshConnector().connect({
    address: host.address,
    port: host.port,
    username: fleet.username,
    privateKey: fleet.privateKey,
    hostKey: host.hostKey,
  });
});

afterAll(async () => {
  await session?.close();
  await fleet.stop();
});

describe('SshSession.execSequence', () => {
  it('runs each command in turn with its own exit status and output, quotes and all', async () => {
    const started: number[] = [];
    const results = await session.execSequence(
      [
        { command: `printf '%s' "it's $VZ_HOST_NAME"; echo oops >&2`, timeoutMs: 10_000 },
        { command: 'echo second; exit 0', timeoutMs: 10_000 },
        { command: 'x=1; echo "$x"', timeoutMs: 10_000 },
      ],
      { onStart: (index) => started.push(index) },
    );
    expect(started).toEqual([0, 1, 2]);
    expect(results.map((r) => [r.exitCode, r.stdout, r.stderr, r.timedOut])).toEqual([
      [0, `it's ${fleet.hosts[0]?.name}`, 'oops\n', false],
      [0, 'second\n', '', false],
      [0, '1\n', '', false],
    ]);
  });

  it('stops at the first command that fails and runs nothing after it', async () => {
    await session.exec('rm -f "$VZ_STATE_DIR/must-not-exist"', { timeoutMs: 10_000 });
    const results = await session.execSequence([
      { command: 'echo one', timeoutMs: 10_000 },
      { command: 'echo failing >&2; exit 7', timeoutMs: 10_000 },
      { command: 'touch "$VZ_STATE_DIR/must-not-exist"', timeoutMs: 10_000 },
    ]);
    expect(results.map((r) => [r.exitCode, r.stdout, r.stderr])).toEqual([
      [0, 'one\n', ''],
      [7, '', 'failing\n'],
    ]);
    const check = await session.exec('test -e "$VZ_STATE_DIR/must-not-exist"', { timeoutMs: 10_000 });
    expect(check.exitCode).toBe(1);
  });

  it('fails only the command with a syntax error, after the ones before it ran', async () => {
    const results = await session.execSequence([
      { command: 'echo fine', timeoutMs: 10_000 },
      { command: 'echo "unbalanced', timeoutMs: 10_000 },
      { command: 'echo never', timeoutMs: 10_000 },
    ]);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ exitCode: 0, stdout: 'fine\n' });
    expect(results[1]?.exitCode).not.toBe(0);
  });

  it('kills a command past its own deadline, even when the sequence as a whole has time left', async () => {
    const results = await session.execSequence([
      { command: 'echo quick', timeoutMs: 10_000 },
      { command: 'echo slow; sleep 30', timeoutMs: 700 },
      { command: 'echo never', timeoutMs: 10_000 },
    ]);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ exitCode: 0, timedOut: false });
    expect(results[1]).toMatchObject({ exitCode: null, timedOut: true, stdout: 'slow\n' });
    // The session is still usable afterwards.
    expect((await session.exec('echo after', { timeoutMs: 10_000 })).stdout).toBe('after\n');
  });

  it('holds the commands after a gate until the client lets them go, with the results so far in hand', async () => {
    await session.exec('rm -f "$VZ_STATE_DIR/gate-marker"', { timeoutMs: 10_000 });
    const order: string[] = [];
    const results = await session.execSequence(
      [
        { command: 'cat "$VZ_STATE_DIR/app/version" 2>/dev/null || echo none', timeoutMs: 10_000 },
        { command: 'echo applied > "$VZ_STATE_DIR/gate-marker"; echo applied', timeoutMs: 10_000 },
      ],
      {
        onStart: (index) => order.push(`start ${index}`),
        gate: {
          before: 1,
          proceed: async (sofar) => {
            order.push(`gate after ${sofar.length} with exit ${sofar[0]?.exitCode}`);
            // Nothing past the gate has run while the client decides.
            const early = await session.exec('test -e "$VZ_STATE_DIR/gate-marker"', { timeoutMs: 10_000 });
            order.push(`marker before go: ${early.exitCode === 0}`);
            return true;
          },
        },
      },
    );
    expect(order).toEqual(['start 0', 'gate after 1 with exit 0', 'marker before go: false', 'start 1']);
    expect(results.map((r) => [r.exitCode, r.stdout])).toEqual([
      [0, expect.any(String)],
      [0, 'applied\n'],
    ]);
  });

  it.each([
    ['says no', async () => false],
    [
      'fails',
      async () => {
        throw new Error('could not commit');
      },
    ],
  ])('runs nothing past a gate whose client %s', async (name, proceed) => {
    await session.exec('rm -f "$VZ_STATE_DIR/must-not-exist"', { timeoutMs: 10_000 });
    const run = session.execSequence(
      [
        { command: 'echo before', timeoutMs: 10_000 },
        { command: 'touch "$VZ_STATE_DIR/must-not-exist"', timeoutMs: 10_000 },
      ],
      { gate: { before: 1, proceed } },
    );
    if (name === 'fails') await expect(run).rejects.toThrow('could not commit');
    else expect((await run).map((r) => r.stdout)).toEqual(['before\n']);
    const check = await session.exec('test -e "$VZ_STATE_DIR/must-not-exist"', { timeoutMs: 10_000 });
    expect(check.exitCode).toBe(1);
  });

  it('keeps a resident shell after a passing sequence that runs its commands again, each with its own status and deadline', async () => {
    const { results, resident } = await session.startSequence([{ command: 'echo patched', timeoutMs: 10_000 }], {
      resident: ['echo "healthy $VZ_HOST_NAME"; echo note >&2', 'exit 3', 'sleep 30'],
    });
    expect(results.map((r) => r.stdout)).toEqual(['patched\n']);
    if (!resident) throw new Error('no resident shell');
    const again = await Promise.all([resident.run(0, 10_000), resident.run(1, 10_000), resident.run(0, 10_000)]);
    expect(again.map((r) => [r.exitCode, r.stdout, r.stderr])).toEqual([
      [0, `healthy ${fleet.hosts[0]?.name}\n`, 'note\n'],
      [3, '', ''],
      [0, `healthy ${fleet.hosts[0]?.name}\n`, 'note\n'],
    ]);
    // Past its deadline the command is killed, and the shell with it.
    expect(await resident.run(2, 500)).toMatchObject({ exitCode: null, timedOut: true });
    expect(resident.alive).toBe(false);
    await expect(resident.run(0, 10_000)).rejects.toBeInstanceOf(ResidentShellGoneError);
    expect((await session.exec('echo still connected', { timeoutMs: 10_000 })).exitCode).toBe(0);
  });

  it('leaves no resident shell when a command of the sequence fails', async () => {
    const { results, resident } = await session.startSequence([{ command: 'exit 4', timeoutMs: 10_000 }], { resident: ['true'] });
    expect(results.map((r) => r.exitCode)).toEqual([4]);
    expect(resident).toBeUndefined();
  });

  it('connects with a key prepared once for many connections, and refuses a wrong prepared key as an auth error', async () => {
    const host = fleet.hosts[0];
    if (!host) throw new Error('no fleet host');
    const connector = new SshConnector();
    const prepared = connector.prepareKey(fleet.privateKey);
    const target = { address: host.address, port: host.port, username: fleet.username, hostKey: host.hostKey };
    const sessions = await Promise.all([1, 2, 3].map(() => connector.connect({ ...target, privateKey: prepared })));
    for (const other of sessions) {
      expect((await other.exec('echo ok', { timeoutMs: 10_000 })).stdout).toBe('ok\n');
      await other.close();
    }
    const dir = mkdtempSync(join(tmpdir(), 'vz-stranger-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    const stranger = connector.prepareKey(readFileSync(join(dir, 'key'), 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    await expect(connector.connect({ ...target, privateKey: stranger })).rejects.toBeInstanceOf(SshAuthError);
  });
});

describe('ssh2 internals', () => {
  // One connection that runs `echo ok`: what ssh2 sent (its debug output).
  async function connectOnce(options: { drop: boolean }): Promise<{ outbound: string[] }> {
    const host = fleet.hosts[0];
    if (!host) throw new Error('no fleet host');
    const outbound: string[] = [];
    const client = new Client();
    const output = await new Promise<string>((resolve, reject) => {
      client.once('ready', () =>
        client.exec('echo ok', (err, channel) => {
          if (err) return reject(err);
          let text = '';
          channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
          channel.on('close', () => resolve(text));
        }),
      );
      client.once('error', reject);
      client.connect({
        host: host.address,
        port: host.port,
        username: fleet.username,
        privateKey: fleet.privateKey,
        hostVerifier: (key: Buffer) => key.equals(parseHostKey(host.hostKey).blob),
        debug: (line: string) => {
          if (line.startsWith('Outbound:')) outbound.push(line);
        },
      });
      if (options.drop) dropHostKeyAnnouncements(client);
    });
    // The server's announcement comes right after authentication; let any answer to it go out.
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.end();
    expect(output).toBe('ok\n');
    return { outbound };
  }

  it("drops the server's host key announcement: no proof of its host keys is asked for, and the session works", async () => {
    const asked = (lines: string[]) => lines.some((line) => line.includes('hostkeys-prove-00@openssh.com'));
    expect(asked((await connectOnce({ drop: false })).outbound)).toBe(true);
    expect(asked((await connectOnce({ drop: true })).outbound)).toBe(false);
  });
});
