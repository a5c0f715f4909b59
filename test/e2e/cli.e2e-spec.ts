import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { CliRun, runCli } from '../harness/cli-process';
import { randomSuffix, REPO_ROOT } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';
import { breakHealthOn, filePatch } from '../harness/file-patch';

jest.setTimeout(180_000);

// The `vulnzero` command as a CI pipeline runs it: `node bin/vulnzero.js …`
// as a child process with VULNZERO_URL and VULNZERO_TOKEN, against the real
// gateway and worker processes, PostgreSQL, Redis and sshd hosts on 127.66.0.x.

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'inventory');
const VERSION = 'app/version';
const HEALTH = 'app/health';

describe('vulnzero command (CLI process + gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.66' });
  const run = randomSuffix();
  const work = mkdtempSync(join(tmpdir(), 'vz-cli-'));
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let token: string;
  let credentialName: string;
  /** Fleet hosts as imported through the CLI: VulnZero name → fleet host. */
  const imported = new Map<string, FleetHost>();
  const names = () => [...imported.keys()].sort();

  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    runCli(args, { HOME: work, VULNZERO_URL: gateway.url, VULNZERO_TOKEN: token, ...env });

  /** The exit code, with the command's output in the failure message when it differs. */
  function expectExit(result: CliRun, code: number): void {
    if (result.code !== code) {
      throw new Error(`exit ${result.code}, expected ${code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    }
  }

  function expectNoStack(result: CliRun): void {
    expect(result.stderr).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
    expect(result.stderr).not.toContain('node:internal');
  }

  async function approvedPatch(definition: object): Promise<string> {
    const file = join(work, `patch-${randomSuffix()}.json`);
    writeFileSync(file, JSON.stringify(definition));
    const created = await cli(['patch', 'create', file, '--approve', '--json']);
    expectExit(created, 0);
    const patch = JSON.parse(created.stdout);
    expect(patch.status).toBe('approved');
    return patch.id;
  }

  const settle = (taskId: string): Promise<any> => api.waitForTask(taskId);

  beforeAll(async () => {
    await fleet.start(6);
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const key = await api.post('/api-keys', { name: `ci-${run}`, role: 'admin' });
    expect(key.status).toBe(201);
    token = key.body.key;
    credentialName = `fleet-${run}`;
    const credential = await api.post('/credentials', { name: credentialName, username: fleet.username, privateKey: fleet.privateKey });
    expect(credential.status).toBe(201);
  });

  beforeEach(async () => {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, VERSION, '1.0');
        await fleet.writeHostFile(h, HEALTH, 'ok');
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('prints its version and help without a gateway, and exits 2 on bad flags with one line', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `vulnzero ${pkg.version}\n`, stderr: '' });
    const help = await cli(['deploy', '--help'], { VULNZERO_URL: '', VULNZERO_TOKEN: '' });
    expectExit(help, 0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--max-failures');

    const cases: [string[], RegExp][] = [
      [['deploy', '--patch', '6f1c2d3e-0000-4000-8000-000000000000', '--hosts', 'a', '--bogus'], /Unknown option '--bogus'/],
      [['deploy', '--hosts', 'a'], /--patch is required/],
      [['deploy', '--patch', '6f1c2d3e-0000-4000-8000-000000000000', '--hosts', 'a', '--labels', 'x=y'], /either --hosts or --labels/],
      [
        ['deploy', '--patch', '6f1c2d3e-0000-4000-8000-000000000000', '--labels', 'x=y', '--steps', '5,2,100%'],
        /deployment strategy is not valid/,
      ],
      [
        ['deploy', '--patch', '6f1c2d3e-0000-4000-8000-000000000000', '--labels', 'x=y', '--wait', '--timeout', 'soon'],
        /--timeout: "soon"/,
      ],
      [['task', 'wait'], /needs the task id/],
      [['task', 'frobnicate'], /unknown command "task frobnicate": task takes get, wait/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')[0]).toMatch(/^vulnzero: /);
      expectNoStack(result);
    }
  });

  it('exits 2 with one clear line for a bad token, and 1 for an unreachable gateway', async () => {
    const bad = await cli(['task', 'get', '6f1c2d3e-0000-4000-8000-000000000000'], { VULNZERO_TOKEN: 'vz_notarealkey' });
    expectExit(bad, 2);
    expect(bad.stderr).toMatch(/^vulnzero: not authenticated \(401\): .*check VULNZERO_TOKEN or --token/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expectNoStack(bad);

    const json = await cli(['deploy', '--patch', '6f1c2d3e-0000-4000-8000-000000000000', '--labels', 'x=y', '--json'], {
      VULNZERO_TOKEN: 'vz_notarealkey',
    });
    expectExit(json, 2);
    expect(JSON.parse(json.stdout).error).toEqual(expect.objectContaining({ status: 401, exitCode: 2 }));

    const missing = await cli(['task', 'get', '6f1c2d3e-0000-4000-8000-000000000000']);
    expectExit(missing, 1);
    expect(missing.stderr).toMatch(/^vulnzero: not found \(404\)/);

    const down = await cli(['task', 'get', '6f1c2d3e-0000-4000-8000-000000000000'], { VULNZERO_URL: 'http://127.0.0.1:9' });
    expectExit(down, 1);
    expect(down.stderr).toMatch(/^vulnzero: cannot reach the gateway at http:\/\/127\.0\.0\.1:9: /);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expectNoStack(down);
  });

  it('imports an Ansible inventory of the fleet and trusts the keys the hosts present', async () => {
    const lines = fleet.hosts.map((h) => `cli-${run}-${h.name} ansible_host=${h.address} ansible_port=${h.port}`);
    const inventory = join(work, 'fleet-hosts');
    writeFileSync(
      inventory,
      [
        '[canary]',
        ...lines.slice(0, 2),
        '',
        '[rest]',
        ...lines.slice(2),
        '',
        '[fleet:children]',
        'canary',
        'rest',
        '',
        '[all:vars]',
        `ansible_user=${fleet.username}`,
        '',
      ].join('\n'),
    );
    const result = await cli(['hosts', 'import', inventory, '--credential', credentialName, '--labels', `suite=cli-${run}`, '--trust']);
    expectExit(result, 0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`registered ${fleet.hosts.length} host(s)`);
    expect(result.stdout).toContain('pinned the key each host presented');

    const hosts = (await api.get(`/hosts?label=suite=cli-${run}&limit=100`)).body.items as any[];
    expect(hosts).toHaveLength(fleet.hosts.length);
    for (const host of hosts) {
      const fleetHost = fleet.host(host.name.slice(`cli-${run}-`.length));
      imported.set(host.name, fleetHost);
      expect(host).toEqual(
        expect.objectContaining({
          address: fleetHost.address,
          port: fleetHost.port,
          hostKeyStatus: 'pinned',
          hostKeyFingerprint: fleetHost.hostKeyFingerprint,
        }),
      );
      expect(result.stdout).toContain(fleetHost.hostKeyFingerprint);
      expect(host.labels['group.fleet']).toBe('true');
    }
    const canary = (await api.get(`/hosts?label=group.canary=true&label=suite=cli-${run}`)).body.items.map((h: any) => h.name);
    expect(canary).toEqual(names().slice(0, 2));

    // Importing again changes nothing and says so.
    const again = await cli(['hosts', 'import', inventory, '--credential', credentialName, '--labels', `suite=cli-${run}`, '--json']);
    expectExit(again, 0);
    expect(JSON.parse(again.stdout)).toEqual(
      expect.objectContaining({ registered: [], alreadyRegistered: expect.arrayContaining(names()) }),
    );
  });

  it.each([
    ['INI', 'hosts.ini', 'com', 'database_servers'],
    ['YAML', 'hosts.yml', 'org', 'databases'],
  ])('registers the hosts and group labels of the Ansible %s fixture', async (_format, file, tld, dbGroup) => {
    const path = join(FIXTURES, file);
    const dry = await cli(['hosts', 'import', path, '--credential', credentialName, '--dry-run', '--label-vars', 'env', '--json']);
    expectExit(dry, 0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.dryRun).toBe(true);
    expect(plan.hosts).toHaveLength(5);
    expect((await api.get(`/hosts?label=group.web=true`)).body.items.filter((h: any) => h.name.endsWith(tld))).toEqual([]);

    const result = await cli(['hosts', 'import', path, '--credential', credentialName, '--label-vars', 'env']);
    expectExit(result, 0);
    // The fixture logs in as "vz", the credential as the fleet user: the operator is told.
    expect(result.stderr).toContain(`ansible_user vz (`);
    expect(result.stderr).toContain(`differs from the credential's username ${fleet.username}`);
    expect(result.stdout).toContain('5 host(s) are unpinned');
    expect(result.stdout).toContain('vulnzero hosts trust');

    // Every page: other suites share this database, so these hosts need not be on the first.
    const all: any[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page: any = (await api.get(`/hosts?limit=500${cursor ? `&cursor=${cursor}` : ''}`)).body;
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    const byName = new Map(all.filter((h) => h.name.endsWith(`.example.${tld}`)).map((h) => [h.name.replace(`.example.${tld}`, ''), h]));
    expect([...byName.keys()].sort()).toEqual(['api', 'bastion', 'db-01', 'web-01', 'web-02']);
    const view = (name: string) => {
      const h = byName.get(name);
      return { address: h.address.replace(`.example.${tld}`, ''), port: h.port, labels: h.labels, hostKeyStatus: h.hostKeyStatus };
    };
    expect(view('bastion')).toEqual({ address: '10.9.0.1', port: 22, labels: {}, hostKeyStatus: 'unpinned' });
    expect(view('web-01')).toEqual({
      address: 'web-01',
      port: 22,
      labels: { 'group.web': 'true', 'group.prod': 'true', env: 'prod' },
      hostKeyStatus: 'unpinned',
    });
    expect(view('api')).toEqual({
      address: '10.9.0.20',
      port: 2200,
      labels: { 'group.web': 'true', 'group.prod': 'true', env: 'prod' },
      hostKeyStatus: 'unpinned',
    });
    expect(view('db-01')).toEqual({
      address: '10.9.0.30',
      port: 2201,
      labels: { [`group.${dbGroup}`]: 'true', 'group.prod': 'true', env: 'staging' },
      hostKeyStatus: 'unpinned',
    });
  });

  it('exits 0 for a good canary and prints timestamped progress and the summary table', async () => {
    const patchId = await approvedPatch(filePatch(`good-${run}`, { restoresHealth: true }));
    const result = await cli([
      'deploy',
      '--patch',
      patchId,
      '--hosts',
      names().slice(0, 4).join(','),
      '--steps',
      '1,50%,100%',
      '--max-parallel',
      '2',
      '--wait',
    ]);
    expectExit(result, 0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ host .+ healthy$/m);
    expect(result.stdout).toMatch(/deployment [0-9a-f-]{36}: succeeded \(4 hosts\)/);
    expect(result.stdout).toMatch(/^ {2}healthy +4$/m);
    expect(result.stdout).not.toContain('failed hosts');
    for (const name of names().slice(0, 4)) expect(await fleet.readHostFile(imported.get(name) as FleetHost, VERSION)).toBe('2.0');
  });

  it('exits 1 for a rolled-back deployment, and --json carries the task and the failed host', async () => {
    const broken = imported.get(names()[1] as string) as FleetHost;
    const patchId = await approvedPatch(filePatch(`bad-${run}`, { restoresHealth: true, extraApply: [breakHealthOn(broken.name)] }));
    const result = await cli([
      'deploy',
      '--patch',
      patchId,
      '--labels',
      `suite=cli-${run}`,
      '--steps',
      '1,2,100%',
      '--max-parallel',
      '1',
      '--wait',
      '--json',
    ]);
    expectExit(result, 1);
    const output = JSON.parse(result.stdout);
    expect(output.task).toEqual(
      expect.objectContaining({ id: output.taskId, type: 'deploy', status: 'failed', result: { deploymentStatus: 'rolled_back' } }),
    );
    expect(output.deployment.status).toBe('rolled_back');
    const failed = output.deployment.hosts.find((h: any) => h.hostName === names()[1]);
    expect(failed).toEqual(expect.objectContaining({ status: 'rolled_back', error: expect.stringMatching(/^health: /) }));
    // Progress went to stderr, so stdout stayed one JSON document.
    expect(result.stderr).toContain(`host ${names()[1]} failed`);
    expect(result.stderr).toMatch(/deploy failed .*more than maxFailures allows/);
    for (const name of names()) expect(await fleet.readHostFile(imported.get(name) as FleetHost, VERSION)).toBe('1.0');
  });

  it('exits 3 when --timeout runs out, saying the deployment keeps running and how to follow it', async () => {
    const patchId = await approvedPatch(filePatch(`slow-${run}`, { restoresHealth: true }));
    const result = await cli([
      'deploy',
      '--patch',
      patchId,
      '--hosts',
      names()[0] as string,
      '--strategy',
      'all-at-once',
      '--bake',
      '5s',
      '--wait',
      '--timeout',
      '1s',
    ]);
    expectExit(result, 3);
    const taskId = /task ([0-9a-f-]{36})/.exec(result.stdout)?.[1] as string;
    expect(result.stderr).toMatch(/^vulnzero: timed out after 1s waiting for task /m);
    expect(result.stderr).toContain(`keeps running on the server; follow it with: vulnzero task wait ${taskId}`);
    expectNoStack(result);
    expect((await settle(taskId)).status).toBe('succeeded');
  });

  it('deploys without waiting, shows the paused task, promotes it, and waits for it', async () => {
    const patchId = await approvedPatch(filePatch(`gate-${run}`, { restoresHealth: true }));
    const started = await cli([
      'deploy',
      '--patch',
      patchId,
      '--hosts',
      names().slice(0, 3).join(','),
      '--steps',
      '1,100%',
      '--pause-after',
      '0',
      '--json',
    ]);
    expectExit(started, 0);
    const { deploymentId, taskId, task } = JSON.parse(started.stdout);
    expect(task).toEqual(expect.objectContaining({ id: taskId, type: 'deploy' }));

    await waitFor(async () => (await api.get(`/deployments/${deploymentId}`)).body.status === 'paused', 60_000, 'the gate');
    const shown = await cli(['task', 'get', taskId, '--json']);
    expectExit(shown, 0);
    expect(JSON.parse(shown.stdout)).toEqual(expect.objectContaining({ id: taskId, status: 'paused', resourceId: deploymentId }));
    const plain = await cli(['task', 'get', taskId]);
    expect(plain.stdout).toMatch(/status +paused/);

    const promoted = await cli(['promote', deploymentId]);
    expectExit(promoted, 0);
    expect(promoted.stdout).toContain(`deployment ${deploymentId}`);

    const waited = await cli(['task', 'wait', taskId, '--timeout', '2m']);
    expectExit(waited, 0);
    expect(waited.stdout).toMatch(/deployment .*: succeeded \(3 hosts\)/);

    // And the rollback command undoes it, host by host.
    const rolledBack = await cli(['rollback', deploymentId, '--wait']);
    expectExit(rolledBack, 0);
    expect(rolledBack.stdout).toMatch(/^ {2}rolled_back +3$/m);
    for (const name of names().slice(0, 3)) expect(await fleet.readHostFile(imported.get(name) as FleetHost, VERSION)).toBe('1.0');
  });

  it('scans hosts, waits for the scan, and lists findings as JSON', async () => {
    const result = await cli(['scan', '--hosts', names().slice(0, 2).join(','), '--wait', '--json']);
    expectExit(result, 0);
    const output = JSON.parse(result.stdout);
    expect(output.task).toEqual(expect.objectContaining({ id: output.taskId, type: 'scan', status: 'succeeded' }));
    expect(output.scan).toEqual(
      expect.objectContaining({ id: output.scanId, summary: expect.objectContaining({ hosts: 2, scanned: 2, failed: 0 }) }),
    );
    const findings = await cli(['findings', '--severity', 'critical,high', '--host', names()[0] as string, '--json']);
    expectExit(findings, 0);
    expect(Array.isArray(JSON.parse(findings.stdout).items)).toBe(true);
    const badSeverity = await cli(['findings', '--severity', 'severe']);
    expectExit(badSeverity, 2);
  });

  it('names unknown hosts in one line and exits 1', async () => {
    const result = await cli(['deploy', '--patch', '6f1c2d3e-0000-4000-8000-000000000000', '--hosts', `${names()[0]},no-such-${run}`]);
    expectExit(result, 1);
    expect(result.stderr.trim()).toBe(`vulnzero: not found: no host named no-such-${run} (see \`vulnzero hosts list\`)`);
  });
});
