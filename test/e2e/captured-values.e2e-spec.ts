import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';

jest.setTimeout(180_000);

// Captured values through the real engine (gateway + worker processes,
// PostgreSQL, Redis, sshd on 127.80.1.x): a capture that fails, times out,
// overflows its limit or prints a NUL byte fails its host before any apply
// command runs (the apply would leave a marker file), and a hostile value,
// invalid UTF-8 included, comes back byte for byte through the stored rollback.

const APPLIED = 'applied';

function patchWithCapture(name: string, capture: string, timeoutSeconds = 30) {
  return {
    name,
    capture: { previous: capture },
    apply: [`touch "$VZ_STATE_DIR/${APPLIED}"`],
    rollback: ['printf %s {{previous}} > "$VZ_STATE_DIR/restored"'],
    timeoutSeconds,
  };
}

describe('captured values (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.80.1' });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let hosts: { id: string; fleet: FleetHost }[] = [];

  async function deployTo(host: { id: string }, patchId: string): Promise<any> {
    const response = await api.post('/deployments', { patchId, targets: { hostIds: [host.id] }, strategy: { type: 'all-at-once' } });
    expect(response.status).toBe(202);
    await api.waitForTask(response.body.taskId, 120_000);
    return (await api.get(`/deployments/${response.body.deploymentId}`)).body;
  }

  beforeAll(async () => {
    await fleet.start(5);
    // One after the other: afterAll stops whichever started, even when the other did not.
    gateway = await startGateway();
    worker = await startWorker();
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const credential = await api.post('/credentials', { name: `capture-${run}`, username: fleet.username, privateKey: fleet.privateKey });
    expect(credential.status).toBe(201);
    const bulk = await api.post('/hosts/bulk', {
      hosts: fleet.hosts.map((h) => ({
        name: `${run}-${h.name}`,
        address: h.address,
        port: h.port,
        credentialId: credential.body.id,
        hostKey: h.hostKey,
      })),
    });
    expect(bulk.status).toBe(201);
    hosts = (bulk.body.items as { id: string; name: string }[])
      .map((item) => ({ id: item.id, name: item.name, fleet: fleet.host(item.name.slice(run.length + 1)) as FleetHost }))
      .sort((a, b) => a.fleet.name.localeCompare(b.fleet.name));
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('answers 400 naming the rollback command and the offset for a placeholder where a value would run', async () => {
    const response = await api.post('/patches', {
      name: `refused-${run}`,
      capture: { v: 'cat /etc/hostname' },
      apply: ['true'],
      rollback: ['true', 'x=${{v}}', 'cat <<EOF\n{{v}}\nEOF', 'eval "echo {{v}}"'],
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toEqual([
      expect.stringMatching(/^rollback\[1\]: placeholder \{\{v\}\} at offset 3 is refused: it sits after `\$`/),
      expect.stringMatching(/^rollback\[2\]: placeholder \{\{v\}\} at offset 10 is refused: it sits in a here-document/),
      expect.stringMatching(/^rollback\[3\]: placeholder \{\{v\}\} at offset 11 is refused: it sits in an argument of `eval`/),
    ]);
  });

  it.each<{ name: string; capture: string; timeoutSeconds?: number; error: RegExp; exitCode: number | null }>([
    { name: 'exits non-zero', capture: 'echo partial; exit 3', error: /^capture: capture command exited 3/, exitCode: 3 },
    { name: 'times out', capture: 'sleep 30', timeoutSeconds: 2, error: /^capture: capture command timed out/, exitCode: null },
    {
      name: 'prints more than the capture limit',
      capture: 'head -c 70000 /dev/zero | tr "\\0" a',
      error: /^capture previous: output over 65536 bytes \(70000 printed\)/,
      exitCode: null,
    },
    { name: 'prints a NUL byte', capture: "printf '1.0\\0002.0'", error: /^capture previous: output holds a NUL byte/, exitCode: null },
  ])(
    'fails the host before apply when its capture $name, and stores no rollback',
    async ({ name, capture, timeoutSeconds, error, exitCode }) => {
      const host = hosts[0]!;
      await fs.rm(join(host.fleet.stateDir, APPLIED), { force: true });
      const patchId = await api.approvedPatch(patchWithCapture(`capture-${name}-${run}`, capture, timeoutSeconds));
      const deployment = await deployTo(host, patchId);
      const record = deployment.hosts[0];
      expect(record).toEqual(expect.objectContaining({ status: 'failed', exitCode, rollbackCommands: null }));
      expect(record.error).toMatch(error);
      expect(record.output.map((o: { phase: string }) => o.phase)).toEqual(['capture']);
      expect(existsSync(join(host.fleet.stateDir, APPLIED))).toBe(false);
      expect(deployment.status).not.toBe('succeeded');
    },
  );

  it('rolls back with a hostile, invalid UTF-8 captured value byte for byte and runs none of it', async () => {
    const host = hosts[1]!;
    const canary = join(host.fleet.stateDir, 'canary');
    const value = Buffer.concat([
      Buffer.from(`1.0'"\`touch ${canary}\`$(touch ${canary})\\ a[$(touch ${canary})]\n`),
      Buffer.from([0xff, 0xfe]),
    ]);
    await fs.writeFile(join(host.fleet.stateDir, 'value'), value);
    const patchId = await api.approvedPatch(patchWithCapture(`hostile-${run}`, 'cat "$VZ_STATE_DIR/value"'));
    const deployment = await deployTo(host, patchId);
    expect(deployment.status).toBe('succeeded');
    // Stored losslessly: not UTF-8, so base64 behind its marker.
    expect(deployment.hosts[0].captured).toEqual({ previous: `base64:${value.toString('base64')}` });
    expect(deployment.hosts[0].rollbackCommands[0]).toMatch(
      /^vz_cap_previous=\$\(printf '.*'; printf \.\); vz_cap_previous=\$\{vz_cap_previous%\.\}; printf %s "\$\{vz_cap_previous\?\}" > "\$VZ_STATE_DIR\/restored"$/s,
    );

    const rollback = await api.post(`/deployments/${deployment.id}/rollback`);
    expect(rollback.status).toBe(202);
    expect((await api.waitForTask(rollback.body.taskId, 120_000)).status).toBe('succeeded');
    expect(await fs.readFile(join(host.fleet.stateDir, 'restored'))).toEqual(value);
    expect(existsSync(canary)).toBe(false);
  });
});
