// A credential's `become` against a real sshd and the real sudo of this
// machine: commands, gated sequences and resident shells run as root, with
// NOPASSWD or with a password that never shows on a command line or in the
// root command's environment. Subnet 127.88.1 belongs to this file.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { BECOME_REFUSED_EXIT, BECOME_REFUSED_MARKER, SshConnector, type Become, type SshSession } from '@vulnzero/ssh';
import { SshFleet } from '../fleet/fleet';

jest.setTimeout(120_000);

const fleet = new SshFleet({ subnet: '127.88.1', become: true });
const connector = new SshConnector();
const sessions: SshSession[] = [];
const run = `${process.pid}-${Date.now()}`;
const rootFile = (name: string) => `/root/vz-become-int-${run}-${name}`;

async function connect(username: string, become?: Become): Promise<SshSession> {
  const host = fleet.hosts[0];
  if (!host) throw new Error('no fleet host');
  const session = await connector.connect({
    address: host.address,
    port: host.port,
    username,
    privateKey: fleet.privateKey,
    hostKey: host.hostKey,
    ...(become ? { become } : {}),
  });
  sessions.push(session);
  return session;
}

/** Every process's command line on this machine (the fleet's hosts are this machine). */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // Exited while we looked.
    }
  }
  return lines;
}

const MODES = [
  { mode: 'NOPASSWD', login: () => ({ username: fleet.becomeUsers.nopasswd, become: { method: 'sudo' } as Become }) },
  {
    mode: 'password',
    login: () => ({
      username: fleet.becomeUsers.password.username,
      become: { method: 'sudo', password: fleet.becomeUsers.password.password } as Become,
    }),
  },
];

beforeAll(async () => {
  await fleet.start(1);
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await fleet.stop();
  for (const entry of readdirSync('/root')) if (entry.startsWith(`vz-become-int-${run}-`)) rmSync(`/root/${entry}`, { force: true });
});

it('runs as the login user without become', async () => {
  const session = await connect(fleet.becomeUsers.nopasswd);
  const result = await session.exec('id -u', { timeoutMs: 10_000 });
  expect(result.exitCode).toBe(0);
  expect(result.stdout.trim()).not.toBe('0');
});

describe.each(MODES)('become with sudo ($mode)', ({ mode, login }) => {
  let session: SshSession;
  beforeAll(async () => {
    const { username, become } = login();
    session = await connect(username, become);
  });

  it('runs a command as root, quotes and exit status intact', async () => {
    const result = await session.exec(`id -u; printf '%s\\n' "it's"; exit 3`, { timeoutMs: 10_000 });
    expect([result.exitCode, result.stdout, result.stderr]).toEqual([3, "0\nit's\n", '']);
  });

  it('runs a gated sequence as root once the gate says go, and nothing after a gate that says no', async () => {
    const file = rootFile(`gate-${mode}`);
    const steps = [
      { command: 'id -u', timeoutMs: 10_000 },
      { command: `id -u > '${file}'`, timeoutMs: 10_000 },
    ];
    const refused = await session.execSequence(steps, { gate: { before: 1, proceed: async () => false } });
    expect(refused.map((r) => [r.exitCode, r.stdout])).toEqual([[0, '0\n']]);
    expect(existsSync(file)).toBe(false);

    const results = await session.execSequence(steps, { gate: { before: 1, proceed: async (so) => so[0]?.stdout === '0\n' } });
    expect(results.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(readFileSync(file, 'utf8')).toBe('0\n');
    expect(statSync(file).uid).toBe(0);
  });

  it('keeps a resident shell that runs its commands again as root', async () => {
    const { results, resident } = await session.startSequence([{ command: 'true', timeoutMs: 10_000 }], { resident: ['id -u', 'exit 4'] });
    expect(results[0]?.exitCode).toBe(0);
    if (!resident) throw new Error('no resident shell');
    expect((await resident.run(0, 10_000)).stdout).toBe('0\n');
    expect((await resident.run(1, 10_000)).exitCode).toBe(4);
    expect((await resident.run(0, 10_000)).stdout).toBe('0\n');
    resident.close();
  });

  it('kills the root command and its children at the deadline', async () => {
    const marker = `31.${process.pid}${mode === 'NOPASSWD' ? 1 : 2}`;
    const file = rootFile(`late-${mode}`);
    const result = await session.exec(`sleep ${marker} & sleep ${marker}; touch '${file}'`, { timeoutMs: 1_500 });
    expect(result.timedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(allCommandLines().filter((line) => line.includes(`sleep ${marker}`))).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});

describe('the sudo password', () => {
  it("is on no command line and not in the root command's environment while it runs", async () => {
    const { username, password } = fleet.becomeUsers.password;
    const session = await connect(username, { method: 'sudo', password });
    const seen: string[] = [];
    const running = session.exec(`tr '\\0' '\\n' </proc/self/environ; sleep 2`, { timeoutMs: 10_000 });
    const deadline = Date.now() + 1_800;
    while (Date.now() < deadline) {
      seen.push(...allCommandLines().filter((line) => line.includes(password)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const result = await running;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^SUDO_USER=/m);
    expect(result.stdout).not.toContain(password);
    expect(result.stdout).not.toContain('VZ_BECOME_PASSWORD');
    expect(seen).toEqual([]);
  });

  it('when wrong, fails the command clearly and quickly, as a refusal and not as its own status', async () => {
    const session = await connect(fleet.becomeUsers.password.username, { method: 'sudo', password: 'not the password' });
    const file = rootFile('wrong-password');
    const result = await session.exec(`touch '${file}'; exit 1`, { timeoutMs: 20_000 });
    expect(result.exitCode).toBe(BECOME_REFUSED_EXIT);
    expect(result.stderr).toContain(BECOME_REFUSED_MARKER);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(existsSync(file)).toBe(false);

    const sequence = await session.execSequence([{ command: `touch '${file}'`, timeoutMs: 20_000 }]);
    expect(sequence.map((r) => r.exitCode)).toEqual([BECOME_REFUSED_EXIT]);
    expect(sequence[0]?.stderr).toContain(BECOME_REFUSED_MARKER);
    expect(existsSync(file)).toBe(false);
  });

  it('is needed: NOPASSWD mode for a user sudoers asks a password of fails as a refusal without prompting', async () => {
    const session = await connect(fleet.becomeUsers.password.username, { method: 'sudo' });
    const result = await session.exec('id -u', { timeoutMs: 20_000 });
    expect(result.exitCode).toBe(BECOME_REFUSED_EXIT);
    expect(result.stderr).toContain('password is required');
    expect(result.durationMs).toBeLessThan(5_000);
  });
});
