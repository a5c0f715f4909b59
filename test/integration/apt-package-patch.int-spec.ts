// The host side of apt package patches (libs/patches/src/core/apt-scripts.ts)
// on real Debian 12 hosts (test/fleet/debian-fleet.ts), run as root inside the
// hosts as the engine runs them (VZ_DEPLOYMENT_ID set, the rollback rendered
// from the captured plan): apt's plan covers openssl AND libssl3, the old
// .debs are kept (from the archive, or rebuilt by dpkg-repack once the archive
// lost them), and the rollback puts back the exact dpkg state after the old
// version is gone from the archive. Subnet 127.94 belongs to this file.
import { randomUUID } from 'node:crypto';
import { capturedValue, generatePackageCommands, renderCommand, type PatchCommands } from '@vulnzero/patches';
import { inDeployment, parseRestartReport } from '@vulnzero/deployments';
import { DebianFleet, type DebianHost } from '../fleet/debian-fleet';

jest.setTimeout(600_000);

const fleet = new DebianFleet({ subnet: '127.94' });
let hosts: DebianHost[];
let oldest: string;
let newest: string;
let binaries: string[];

/** The dpkg status paragraphs of `packages`, as the file holds them. */
async function statusEntries(host: DebianHost, packages: string[]): Promise<string> {
  const status = await fleet.rootOk(host, 'cat /var/lib/dpkg/status');
  return status
    .split('\n\n')
    .filter((entry) => packages.some((p) => entry.startsWith(`Package: ${p}\n`)))
    .sort()
    .join('\n\n');
}

async function run(host: DebianHost, deploymentId: string, script: string) {
  return fleet.root(host, inDeployment(deploymentId, script));
}

async function capture(host: DebianHost, deploymentId: string, commands: PatchCommands) {
  const result = await run(host, deploymentId, commands.capture.plan as string);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const bytes = Buffer.from(result.stdout);
  return capturedValue('plan', bytes, bytes.length);
}

function planLines(plan: Buffer) {
  return plan
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('pkg\t'))
    .map((line) => {
      const [, name, before, after, mark, hold, origin, sha256, file] = line.split('\t');
      return { name, before, after, mark, hold, origin, sha256, file };
    });
}

async function rollback(host: DebianHost, deploymentId: string, commands: PatchCommands, plan: Buffer) {
  for (const template of commands.rollback) {
    const result = await run(host, deploymentId, renderCommand(template, { plan }));
    if (result.code !== 0) throw new Error(`rollback exited ${result.code}: ${result.stderr}\n${result.stdout}`);
  }
}

beforeAll(async () => {
  hosts = await fleet.start(2);
  const repo = fleet.repo.multi;
  oldest = repo.versions[0] as string;
  newest = repo.versions[repo.versions.length - 1] as string;
  binaries = repo.binaries;
}, 900_000);

afterAll(async () => {
  await fleet.stop();
});

describe('apt package patch scripts on real Debian hosts', () => {
  it('patches every binary of the source, reports nginx on the replaced libssl, and rolls back byte-identical once the archive lost the old version', async () => {
    const host = hosts[0] as DebianHost;
    const deploymentId = randomUUID();
    const commands = generatePackageCommands(
      { manager: 'apt', source: 'openssl', version: newest },
      { timeoutSeconds: 300, artifactDays: 30 },
    );
    const before = await fleet.rootOk(host, `dpkg-query -W ${binaries.join(' ')}`);
    const entriesBefore = await statusEntries(host, binaries);
    expect(before).toContain(oldest);

    const plan = await capture(host, deploymentId, commands);
    const planned = planLines(plan);
    expect(planned.map((p) => p.name).sort()).toEqual(expect.arrayContaining(binaries));
    for (const p of planned.filter((x) => binaries.includes(x.name as string))) {
      expect(p).toEqual(
        expect.objectContaining({ before: oldest, after: newest, origin: 'archive', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      );
    }
    // Nothing changed yet.
    expect(await fleet.rootOk(host, `dpkg-query -W ${binaries.join(' ')}`)).toBe(before);
    expect((await run(host, deploymentId, commands.verify)).code).toBe(1);

    const applied = await run(host, deploymentId, commands.apply[0] as string);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    for (const name of binaries) expect(await fleet.rootOk(host, `dpkg-query -W -f='\${Version}' ${name}`)).toBe(newest);
    expect((await run(host, deploymentId, commands.verify)).code).toBe(0);
    // nginx (started before the upgrade) still maps the replaced libssl: the report says so.
    const report = parseRestartReport((await run(host, deploymentId, commands.report)).stdout, new Date());
    expect(report.staleProcesses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          command: 'nginx',
          libraries: expect.arrayContaining([expect.stringMatching(/libssl\.so\.3|libcrypto\.so\.3/)]),
        }),
      ]),
    );

    // The archive no longer has the old version: the rollback needs only the kept .debs.
    await fleet.removeFromRepo('openssl', oldest);
    await fleet.updateLists();
    expect(await fleet.rootOk(host, 'apt-cache madison openssl')).not.toContain(oldest);
    await rollback(host, deploymentId, commands, plan);
    expect(await fleet.rootOk(host, `dpkg-query -W ${binaries.join(' ')}`)).toBe(before);
    expect(await statusEntries(host, binaries)).toBe(entriesBefore);
    expect((await run(host, deploymentId, commands.verify)).code).toBe(1);
    // The kept files are gone with the deployment's directory; a second rollback finds the state already back.
    expect((await fleet.root(host, `test -e /var/lib/vulnzero/deployments/${deploymentId}`)).code).toBe(1);
    await rollback(host, deploymentId, commands, plan);
  });

  it('keeps a package the archive no longer has by rebuilding it with dpkg-repack, and restores from it', async () => {
    const host = hosts[1] as DebianHost;
    const deploymentId = randomUUID();
    const commands = generatePackageCommands(
      { manager: 'apt', source: 'openssl', version: newest, restart: ['nginx'] },
      { timeoutSeconds: 300, artifactDays: 30 },
    );
    // The first test removed the oldest version from this fleet's repository.
    expect(await fleet.rootOk(host, 'apt-cache madison openssl')).not.toContain(oldest);
    const before = await fleet.rootOk(host, `dpkg-query -W ${binaries.join(' ')}`);
    const entriesBefore = await statusEntries(host, binaries);
    const nginxBefore = (await fleet.rootOk(host, 'cat /run/nginx.pid')).trim();

    const plan = await capture(host, deploymentId, commands);
    for (const p of planLines(plan).filter((x) => binaries.includes(x.name as string))) expect(p.origin).toBe('repack');
    const applied = await run(host, deploymentId, commands.apply[0] as string);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(applied.stdout).toContain('restarted nginx');
    const nginxAfter = (await fleet.rootOk(host, 'cat /run/nginx.pid')).trim();
    expect(nginxAfter).not.toBe(nginxBefore);
    // Restarted on the new library: nothing of nginx is stale.
    const report = parseRestartReport((await run(host, deploymentId, commands.report)).stdout, new Date());
    expect(report.staleProcesses.filter((p) => p.command === 'nginx')).toEqual([]);

    await rollback(host, deploymentId, commands, plan);
    expect(await fleet.rootOk(host, `dpkg-query -W ${binaries.join(' ')}`)).toBe(before);
    // dpkg-repack --tag=none: no "(Repackaged on …)" in the description dpkg records.
    expect(await statusEntries(host, binaries)).toBe(entriesBefore);
  });

  it('refuses a kept .deb that changed on the host, before touching any package', async () => {
    const host = hosts[1] as DebianHost;
    const deploymentId = randomUUID();
    const commands = generatePackageCommands(
      { manager: 'apt', source: 'openssl', version: newest },
      { timeoutSeconds: 300, artifactDays: 30 },
    );
    const plan = await capture(host, deploymentId, commands);
    expect((await run(host, deploymentId, commands.apply[0] as string)).code).toBe(0);
    const kept = planLines(plan)[0]?.file as string;
    await fleet.rootOk(host, `printf x >> '${kept}'`);
    const written = await run(host, deploymentId, renderCommand(commands.rollback[0] as string, { plan }));
    expect(written.code).toBe(0);
    const restore = await run(host, deploymentId, commands.rollback[1] as string);
    expect(restore.code).toBe(3);
    expect(restore.stderr).toContain('changed: sha256');
    for (const name of binaries) expect(await fleet.rootOk(host, `dpkg-query -W -f='\${Version}' ${name}`)).toBe(newest);
  });
});
