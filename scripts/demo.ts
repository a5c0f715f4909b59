// The demo behind `npm run demo` (see scripts/demo.sh): a 12-host sshd fleet,
// the gateway and a worker as real processes, then — through the `vulnzero`
// CLI where it can — a scan, a good canary deployment, and a bad patch whose
// automatic rollback is shown host by host. Then real Debian 12 hosts
// (test/fleet's DebianFleet): openssl found by a scan of their dpkg
// databases, patched from the finding, and rolled back to the exact packages
// after the archive lost the old version.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, spawnApp, waitFor } from '../test/harness/app-process';
import { ApiClient } from '../test/harness/api-client';
import { REPO_ROOT } from '../test/harness/test-env';
import { SshFleet } from '../test/fleet/fleet';
import { DebianFleet } from '../test/fleet/debian-fleet';
import { breakHealthOn, filePatch } from '../test/harness/file-patch';

const args = new Set(process.argv.slice(2));
const KEEP = args.has('--keep');
const HOSTS = 12;
const DEMO_DIR = join(REPO_ROOT, '.vulnzero', 'demo');
const CLI = join(REPO_ROOT, 'bin', 'vulnzero.js');
const ARCH = execFileSync('dpkg', ['--print-architecture']).toString().trim();

function step(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`);
}

/** The second user of the demo: REQUIRE_SEPARATE_APPROVER (default true) lets no one approve their own patch. */
const APPROVER = 'approver';

/** Secrets of this demo installation, kept so a second run can still read what the first stored. */
function demoSecrets(): Record<string, string> {
  const file = join(DEMO_DIR, 'demo.env');
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    // Installations from before the demo had a second user get its password now.
    if (kept.APPROVER_PASSWORD) return kept;
    const upgraded = { ...kept, APPROVER_PASSWORD: `Approve-${randomBytes(9).toString('base64url')}` };
    writeFileSync(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const secrets = {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    VULNZERO_MASTER_KEY: randomBytes(32).toString('base64'),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: `Demo-${randomBytes(9).toString('base64url')}`,
    METRICS_TOKEN: randomBytes(24).toString('base64url'),
    APPROVER_PASSWORD: `Approve-${randomBytes(9).toString('base64url')}`,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function statusFile(index: number): string {
  const openssl = index < 4 ? '3.0.11-1~deb12u2' : index < 8 ? '3.0.15-1~deb12u1' : '3.0.13-1~deb12u1';
  const packages = [
    { name: 'openssl', version: openssl },
    { name: 'curl', version: index % 2 === 0 ? '7.88.1-10+deb12u5' : '7.88.1-10+deb12u8' },
    { name: 'nginx', version: index < 5 ? '1.22.1-8' : '1.22.1-9+deb12u1' },
  ];
  return packages
    .map((p) =>
      [
        `Package: ${p.name}`,
        'Status: install ok installed',
        `Architecture: ${ARCH}`,
        `Version: ${p.version}`,
        `Description: ${p.name}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

function appPatch(name: string, breakHost?: string) {
  return filePatch(name, {
    extraApply: breakHost ? [breakHealthOn(breakHost)] : [],
    extraRollback: ['printf ok > "$VZ_STATE_DIR/app/health"'],
    healthSeconds: 3,
    timeoutSeconds: 60,
  });
}

let cleanup: () => Promise<void> = async () => undefined;

async function main(): Promise<void> {
  mkdirSync(join(DEMO_DIR, 'bin'), { recursive: true });
  const { APPROVER_PASSWORD: approverPassword, ...secrets } = demoSecrets();
  const port = process.env.PORT ?? '3000';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    DATABASE_URL: process.env.DATABASE_URL as string,
    REDIS_URL: process.env.REDIS_URL as string,
    PORT: port,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...secrets,
  };
  const processes: AppProcess[] = [];
  const portFree = await fetch(`http://127.0.0.1:${port}/health/live`).then(
    () => false,
    () => true,
  );
  if (!portFree) throw new Error(`port ${port} is taken (another gateway or demo?): stop it, or run with PORT=<other> npm run demo`);
  // The fleet's apt-get: a shim that installs into each host's own dpkg database (test/fixtures/fleet-apt).
  copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'fleet-apt', 'apt-get'), join(DEMO_DIR, 'bin', 'apt-get'));
  chmodSync(join(DEMO_DIR, 'bin', 'apt-get'), 0o755);
  chmodSync(join(DEMO_DIR, 'bin'), 0o755);
  const fleet = new SshFleet({ subnet: '127.60', extraPath: [join(DEMO_DIR, 'bin')] });
  const debian = new DebianFleet({ subnet: '127.92' });
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await fleet.stop();
    await debian.stop();
  };
  cleanup = async () => {
    for (const [name, proc] of [
      ['gateway', processes[0]],
      ['worker', processes[1]],
    ] as const) {
      if (proc && proc.child.exitCode !== null)
        console.error(`[demo] the ${name} exited (${proc.child.exitCode}):\n${proc.logs().split('\n').slice(-15).join('\n')}`);
    }
    await stopAll();
  };
  process.once('SIGINT', () => {
    console.log('\n[demo] stopping gateway, worker and fleet…');
    void stopAll().then(() => process.exit(0));
  });

  step(`1. a fleet of ${HOSTS} real sshd hosts on 127.60.0.x:2222`);
  await fleet.start(HOSTS);
  for (const [index, host] of fleet.hosts.entries()) {
    await fleet.writeHostFile(host, 'dpkg/status', statusFile(index));
    await fleet.writeHostFile(host, 'app/version', '1.0');
    await fleet.writeHostFile(host, 'app/health', 'ok');
  }
  console.log(fleet.hosts.map((h) => `${h.name} ${h.address} ${h.hostKeyFingerprint}`).join('\n'));

  step('2. gateway and worker');
  const gateway = spawnApp('gateway', env);
  processes.push(gateway);
  processes.push(spawnApp('worker', env));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`)).ok, 30_000, 'gateway ready').catch((error) => {
    throw new Error(`${(error as Error).message}\n${gateway.logs()}`);
  });
  console.log(`gateway ${url} ready (PostgreSQL and Redis up); worker started`);

  step('3. an admin session, an API key for the CLI, the fleet credential and hosts with pinned keys');
  const admin = await new ApiClient(url).login(secrets.ADMIN_USERNAME as string, secrets.ADMIN_PASSWORD as string);
  const apiKey = (await admin.post('/api-keys', { name: `demo-cli-${Date.now()}`, role: 'admin' })).body.key as string;
  const credentialName = 'demo-fleet';
  const existing = (await admin.get('/credentials?limit=500')).body.items.find((c: { name: string }) => c.name === credentialName);
  const credentialId =
    existing?.id ??
    (await admin.post('/credentials', { name: credentialName, username: fleet.username, privateKey: fleet.privateKey })).body.id;
  const known = new Set(((await admin.get('/hosts?label=demo=true&limit=500')).body.items as { name: string }[]).map((h) => h.name));
  const missing = fleet.hosts.filter((h) => !known.has(h.name));
  if (missing.length > 0) {
    const created = await admin.post('/hosts/bulk', {
      hosts: missing.map((h, i) => ({
        name: h.name,
        address: h.address,
        port: h.port,
        credentialId,
        hostKey: h.hostKey,
        labels: { demo: 'true', role: i % 3 === 0 ? 'db' : 'web' },
      })),
    });
    if (created.status !== 201) throw new Error(`hosts: ${JSON.stringify(created.body)}`);
  }
  console.log(`${HOSTS} hosts registered, each pinned to its sshd host key`);

  step('3b. a second user, an operator who approves patches: nobody approves a patch they wrote (REQUIRE_SEPARATE_APPROVER=true)');
  const users = (await admin.get('/users?limit=500')).body.items as { username: string }[];
  if (!users.some((u) => u.username === APPROVER)) {
    const created = await admin.post('/users', { username: APPROVER, password: approverPassword, role: 'operator' });
    if (created.status !== 201) throw new Error(`approver: ${JSON.stringify(created.body)}`);
  }
  const approver = await new ApiClient(url).login(APPROVER, approverPassword as string);
  const approverKey = (await approver.post('/api-keys', { name: `demo-approver-${Date.now()}`, role: 'operator' })).body.key as string;
  console.log(`user "${APPROVER}" (operator) with an API key of its own`);

  const cli = (cliArgs: string[], token = apiKey): number => {
    console.log(`\n$ ${token === approverKey ? `VULNZERO_TOKEN=<${APPROVER}'s key> ` : ''}vulnzero ${cliArgs.join(' ')}`);
    const result = spawnSync(process.execPath, [CLI, ...cliArgs], {
      stdio: 'inherit',
      env: { ...process.env, VULNZERO_URL: url, VULNZERO_TOKEN: token, CI: 'true' },
    });
    return result.status ?? 1;
  };
  const cliJson = (cliArgs: string[]): { id?: string; patch?: { id?: string } } => {
    const out = execFileSync(process.execPath, [CLI, ...cliArgs, '--json'], {
      env: { ...process.env, VULNZERO_URL: url, VULNZERO_TOKEN: apiKey },
    });
    return JSON.parse(out.toString());
  };
  /** The admin writes the patch; the approver, a second user, approves it. */
  const approvedPatch = (file: string): string => {
    const created = cliJson(['patch', 'create', file]);
    const id = (created.id ?? created.patch?.id) as string;
    if (cli(['patch', 'approve', id], approverKey) !== 0) throw new Error(`patch ${id} was not approved`);
    return id;
  };

  step('4. scan: installed packages over SSH, matched against OSV advisories');
  const advisories = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'osv', 'debian-fleet.osv.json'), 'utf8');
  const imported = await fetch(`${url}/advisories/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: advisories,
  });
  console.log(`advisories imported: ${JSON.stringify(await imported.json())}`);
  const scanExit = cli(['scan', '--labels', 'demo=true', '--wait']);
  cli(['findings', '--severity', 'critical']);

  step('5. a good patch, deployed as a canary: 1 host, then 25%, then all');
  writeFileSync(join(DEMO_DIR, 'good-patch.json'), JSON.stringify(appPatch(`app 2.0 (${new Date().toISOString()})`), null, 2));
  const goodExit = cli([
    'deploy',
    '--patch',
    approvedPatch(join(DEMO_DIR, 'good-patch.json')),
    '--labels',
    'demo=true',
    '--steps',
    '1,25%,100%',
    '--max-parallel',
    '4',
    '--wait',
  ]);
  step('5b. roll the good deployment back by hand: every host is restored and verified');
  const goodDeployment = (await admin.get('/tasks?type=deploy&limit=1')).body.items[0].resourceId as string;
  const goodRollback = cli(['rollback', goodDeployment, '--wait']);

  step('6. a bad patch that breaks fleet-007: the canary stops and every changed host is rolled back');
  writeFileSync(
    join(DEMO_DIR, 'bad-patch.json'),
    JSON.stringify(appPatch(`app 2.1, broken on fleet-007 (${new Date().toISOString()})`, 'fleet-007'), null, 2),
  );
  const badExit = cli([
    'deploy',
    '--patch',
    approvedPatch(join(DEMO_DIR, 'bad-patch.json')),
    '--labels',
    'demo=true',
    '--steps',
    '2,50%,100%',
    '--max-parallel',
    '4',
    '--wait',
  ]);
  const versions = await Promise.all(fleet.hosts.map(async (h) => `${h.name}=${await fleet.readHostFile(h, 'app/version')}`));
  console.log(`\nfiles on the hosts after the rollback: ${versions.join(' ')}`);

  step('7. real Debian 12 hosts: openssl found, patched from the finding, rolled back to the exact packages');
  console.log('building (first run, about a minute) or reusing the cached base image and local apt repository…');
  const debianHosts = await debian.start(3);
  const { versions: opensslVersions, binaries } = debian.repo.multi;
  const [oldest, newest] = [opensslVersions[0] as string, opensslVersions[opensslVersions.length - 1] as string];
  console.log(debianHosts.map((h) => `${h.name} ${h.address}: sshd :2222, nginx :80, openssl ${oldest}`).join('\n'));
  const dpkgOf = async () =>
    Promise.all(
      debianHosts.map(
        async (h) =>
          `${h.name}: ${(await debian.rootOk(h, `dpkg-query -W ${binaries.join(' ')}`)).trim().replace(/\n/g, ', ').replace(/\t/g, ' ')}`,
      ),
    );
  const before = await dpkgOf();
  const becomeName = 'demo-debian-sudo';
  const knownCredential = (await admin.get('/credentials?limit=500')).body.items.find((c: { name: string }) => c.name === becomeName);
  const becomeId =
    knownCredential?.id ??
    (
      await admin.post('/credentials', {
        name: becomeName,
        username: debian.users.nopasswd.username,
        privateKey: debian.privateKey,
        become: { method: 'sudo' },
      })
    ).body.id;
  // Registered afresh on every run (a host left from an earlier run goes first).
  for (const h of (await admin.get('/hosts?label=debian=true&limit=500')).body.items as { id: string }[])
    await admin.delete(`/hosts/${h.id}`);
  const registered = await admin.post('/hosts/bulk', {
    hosts: debianHosts.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      credentialId: becomeId,
      hostKey: h.hostKey,
      labels: { debian: 'true' },
    })),
  });
  if (registered.status !== 201) throw new Error(`debian hosts: ${JSON.stringify(registered.body)}`);
  console.log(`3 hosts registered; their credential runs patch commands as root through sudo (become)`);
  await fetch(`${url}/advisories/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(debian.osvAdvisories()),
  });
  const debianScan = cli(['scan', '--labels', 'debian=true', '--wait']);
  const debianHostIds = ((registered.body.items ?? []) as { id: string }[]).map((h) => h.id);
  const findings = (await admin.get(`/findings?hostId=${debianHostIds[0]}&status=open&limit=50`)).body.items as {
    id: string;
    package: string;
    matchedName: string;
    advisoryId: string;
  }[];
  const finding = findings.find((f) => f.package === 'libssl3');
  if (!finding) throw new Error(`no libssl3 finding on the first Debian host: ${JSON.stringify(findings)}`);
  console.log(`finding: ${finding.package} on ${debianHosts[0]?.name}, ${finding.advisoryId} (source ${finding.matchedName})`);
  const generated = (await admin.post(`/findings/${finding.id}/patch`)).body.patch as { package: object };
  console.log(`patch generated from the finding: ${JSON.stringify(generated.package)}`);
  writeFileSync(
    join(DEMO_DIR, 'openssl-patch.json'),
    JSON.stringify(
      {
        name: `openssl ${newest} with nginx restart (${new Date().toISOString()})`,
        package: { ...generated.package, restart: ['nginx'] },
        healthChecks: [{ type: 'http', port: 80, path: '/health', expectStatus: 200, timeoutSeconds: 20 }],
      },
      null,
      2,
    ),
  );
  const debianDeploy = cli([
    'deploy',
    '--patch',
    approvedPatch(join(DEMO_DIR, 'openssl-patch.json')),
    '--labels',
    'debian=true',
    '--steps',
    '1,50%,100%',
    '--max-parallel',
    '3',
    '--wait',
  ]);
  const patched = await dpkgOf();
  console.log(`after the patch:\n  ${patched.join('\n  ')}`);
  const debianDeployment = (await admin.get('/tasks?type=deploy&limit=1')).body.items[0].resourceId as string;
  const view = (await admin.get(`/deployments/${debianDeployment}`)).body as {
    hosts: { hostName: string; captured: { plan: string }; restartReport: unknown }[];
  };
  console.log(
    `what ${view.hosts[0]?.hostName} captured before apply (kept .deb per package, with its sha256):\n${view.hosts[0]?.captured.plan}`,
  );
  console.log(`its restart report after apply: ${JSON.stringify(view.hosts[0]?.restartReport)}`);
  step(`7b. the archive loses openssl ${oldest}; the rollback reinstalls the kept packages`);
  await debian.removeFromRepo('openssl', oldest);
  await debian.updateLists();
  const debianRollback = cli(['rollback', debianDeployment, '--wait']);
  const after = await dpkgOf();
  console.log(`after the rollback:\n  ${after.join('\n  ')}`);
  const debianExact = after.join('\n') === before.join('\n') && patched.every((line) => line.includes(newest));
  console.log(`every host back at exactly what it had: ${debianExact}`);

  step('8. where to look next');
  console.log(`API docs:        ${url}/docs`);
  console.log(`API key (admin): ${apiKey}`);
  console.log(`admin login:     ${secrets.ADMIN_USERNAME} / ${secrets.ADMIN_PASSWORD}   (kept in .vulnzero/demo/demo.env)`);
  console.log(`approver login:  ${APPROVER} / ${approverPassword}   (operator: approves the admin's patches)`);
  console.log(`metrics:         curl -H "Authorization: Bearer ${secrets.METRICS_TOKEN}" ${url}/metrics`);
  console.log(`try:             export VULNZERO_URL=${url} VULNZERO_TOKEN=${apiKey}`);
  console.log('                 node bin/vulnzero.js findings --severity high');
  console.log('                 node bin/vulnzero.js deploy --patch <id> --labels role=web --steps 1,50%,100% --wait');

  const outcome = {
    scanExit,
    goodExit,
    goodRollback,
    badExit,
    allBackTo1: versions.every((v) => v.endsWith('=1.0')),
    debianScan,
    debianDeploy,
    debianRollback,
    debianExact,
  };
  console.log(`\n[demo] outcome: ${JSON.stringify(outcome)}`);
  const expected =
    scanExit === 0 &&
    goodExit === 0 &&
    goodRollback === 0 &&
    badExit === 1 &&
    outcome.allBackTo1 &&
    debianScan === 0 &&
    debianDeploy === 0 &&
    debianRollback === 0 &&
    debianExact;
  if (!expected) console.log('[demo] something did not go as the demo expects: see above');
  if (KEEP) {
    console.log(
      '[demo] --keep: gateway, worker and fleet keep running (stop them with: pkill -f dist/apps; node dist/test/fleet/fleet-cli.js down; node dist/test/fleet/fleet-cli.js down --debian)',
    );
    process.exit(expected ? 0 : 1);
  }
  if (process.stdin.isTTY && !process.env.CI) {
    console.log('[demo] running; press Ctrl-C to stop everything');
    await new Promise(() => undefined);
  }
  await stopAll();
  process.exit(expected ? 0 : 1);
}

main().catch(async (error) => {
  console.error(`[demo] failed: ${(error as Error).message}`, (error as Error).cause ?? '');
  await cleanup().catch(() => undefined);
  process.exit(1);
});
