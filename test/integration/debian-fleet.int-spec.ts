// The fleet of real Debian 12 hosts (test/fleet/debian-fleet.ts): namespaces,
// sshd with verified host keys, both sudo modes, nginx, divergent overlays,
// the local apt repository, and a clean stop. Subnet 127.91 belongs to this file.
import * as http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { validateOsvRecord } from '../../libs/scans/src/core/osv-record';
import { DebianFleet, DebianFleetFacts, DebianHost, processesRootedUnder } from '../fleet/debian-fleet';

// A cold build (mmdebstrap + downloads) takes minutes: prepare has its own timeout.
jest.setTimeout(120_000);

const fleet = new DebianFleet({ subnet: '127.91' });
let facts: DebianFleetFacts;
let hosts: DebianHost[];

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` over SSH as `username`, verifying the host key against the fleet's. */
function sshExec(host: DebianHost, username: string, command: string, input?: string): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let verified = false;
    client
      .on('ready', () => {
        client.exec(command, (err, stream) => {
          if (err) return reject(err);
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('close', (code: number | null) => {
            client.end();
            resolve({ code, stdout, stderr });
          });
          stream.end(input ?? '');
        });
      })
      .on('error', (err) => reject(verified ? err : new Error(`host key not verified: ${err.message}`)))
      .connect({
        host: host.address,
        port: host.port,
        username,
        privateKey: fleet.privateKey,
        readyTimeout: 20_000,
        hostVerifier: (key: Buffer) => {
          verified = key.equals(Buffer.from(host.hostKey.split(' ')[1], 'base64'));
          return verified;
        },
      });
  });
}

function httpGet(address: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: address, port: 80, path: urlPath, timeout: 5_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  facts = await DebianFleet.prepare({ log: (line) => process.stdout.write(`${line}\n`) });
}, 900_000);

beforeAll(async () => {
  hosts = await fleet.start(3);
});

afterAll(async () => {
  await fleet.stop();
});

test('the repository holds at least three openssl versions and two nginx-light versions, ascending', () => {
  expect(fleet.repo.multi.source).toBe('openssl');
  expect(fleet.repo.multi.binaries).toEqual(['openssl', 'libssl3']);
  expect(fleet.repo.multi.versions.length).toBeGreaterThanOrEqual(3);
  expect(fleet.repo.service.binary).toBe('nginx-light');
  expect(fleet.repo.service.versions.length).toBeGreaterThanOrEqual(2);
  expect(facts.hash).toMatch(/^[0-9a-f]{16}$/);
  const advisories = fleet.osvAdvisories();
  expect(advisories.map((a) => a.affected[0].package.name)).toEqual(['openssl', 'nginx']);
  advisories.forEach((record, i) => expect(validateOsvRecord(record, i)).toMatchObject({ ok: true }));
  expect(advisories[0].affected[0].ranges[0].events).toContainEqual({
    fixed: fleet.repo.multi.versions[fleet.repo.multi.versions.length - 1],
  });
});

test('hosts start on the oldest openssl, libssl3 and nginx-light, with no .deb in the apt cache', async () => {
  const [oldest] = fleet.repo.multi.versions;
  for (const host of hosts) {
    const out = await fleet.rootOk(host, "dpkg-query -W -f '${Package} ${Version}\\n' openssl libssl3 nginx-light");
    expect(out).toBe(`libssl3 ${oldest}\nnginx-light ${fleet.repo.service.versions[0]}\nopenssl ${oldest}\n`);
    expect(await fleet.rootOk(host, 'ls /var/cache/apt/archives | grep -c "\\.deb$" || true')).toBe('0\n');
    expect(await fleet.rootOk(host, 'apt-cache madison openssl | wc -l')).toBe(`${fleet.repo.multi.versions.length}\n`);
  }
});

test('vzadmin logs in with the fleet key (host key verified) and sudo -n gives root', async () => {
  for (const host of hosts) {
    const result = await sshExec(host, fleet.users.nopasswd.username, 'sudo -n id -u; hostname');
    expect(result).toMatchObject({ code: 0, stdout: `0\n${host.name}\n` });
  }
});

test('vzpass needs its password for sudo, every time', async () => {
  const [host] = hosts;
  const { username, password } = fleet.users.password;
  expect((await sshExec(host, username, 'sudo -n id -u')).code).not.toBe(0);
  const withPassword = await sshExec(host, username, 'sudo -S -p "" id -u', `${password}\n`);
  expect(withPassword).toMatchObject({ code: 0, stdout: '0\n' });
  // Nothing cached (timestamp_timeout=0): the next sudo -n in the same session still fails.
  const twice = await sshExec(host, username, 'sudo -S -p "" true && sudo -n id -u', `${password}\n`);
  expect(twice.code).not.toBe(0);
  expect((await sshExec(host, username, 'sudo -S -p "" id -u', 'wrong\n')).code).not.toBe(0);
});

test('a host sees only its own processes, and a host key other than its own is refused', async () => {
  const pidsOf = async (host: DebianHost): Promise<string[]> => (await fleet.rootOk(host, 'ps -e -o comm= | sort')).trim().split('\n');
  for (const host of hosts) {
    const names = await pidsOf(host);
    expect(names.filter((n) => n === 'sshd')).toHaveLength(1);
    expect(names.filter((n) => n === 'nginx')).toHaveLength(2); // master + one worker
    const maps = await fleet.rootOk(host, 'ls -d /proc/[0-9]*/maps | wc -l');
    expect(Number(maps)).toBeLessThan(10);
    expect(await fleet.rootOk(host, 'cat /proc/1/cmdline | tr "\\0" " "')).toContain(host.name);
  }
  const wrongKey = { ...hosts[0], hostKey: hosts[1].hostKey };
  await expect(sshExec(wrongKey, 'vzadmin', 'true')).rejects.toThrow(/host key not verified/);
});

test('nginx answers /health on each host own address, and restarts through its init script', async () => {
  for (const host of hosts) {
    await expect(httpGet(host.address, '/health')).resolves.toEqual({ status: 200, body: 'ok\n' });
    await expect(httpGet(host.address, '/')).resolves.toEqual({
      status: 200,
      body: `${host.name}\n`,
    });
  }
  const [host] = hosts;
  const before = (await fleet.rootOk(host, 'cat /run/nginx.pid')).trim();
  await fleet.rootOk(host, '/etc/init.d/nginx restart >/dev/null');
  const after = (await fleet.rootOk(host, 'cat /run/nginx.pid')).trim();
  expect(after).not.toBe(before);
  await fleet.rootOk(host, 'service nginx restart >/dev/null');
  await expect(httpGet(host.address, '/health')).resolves.toMatchObject({ status: 200 });
});

test('hosts diverge: a file written in one is absent in another, and visible at its rootDir', async () => {
  await fleet.rootOk(hosts[0], 'echo mine > /etc/vz-divergence');
  expect(readFileSync(`${hosts[0].rootDir}/etc/vz-divergence`, 'utf8')).toBe('mine\n');
  expect(existsSync(`${hosts[1].rootDir}/etc/vz-divergence`)).toBe(false);
  expect((await fleet.root(hosts[1], 'test -e /etc/vz-divergence')).code).toBe(1);
});

test('apt upgrades a host from the local repository; the maintainer scripts do not restart nginx', async () => {
  const host = hosts[1];
  const versions = fleet.repo.multi.versions;
  const newest = versions[versions.length - 1];
  const nginxNewest = fleet.repo.service.versions[fleet.repo.service.versions.length - 1];
  const pidBefore = (await fleet.rootOk(host, 'cat /run/nginx.pid')).trim();
  // Upgrading openssl alone drags libssl3 along (same source, versioned dependency).
  await fleet.rootOk(
    host,
    `apt-get install -y -q -o Dpkg::Options::=--force-confold openssl=${newest} libssl3=${newest} nginx-light=${nginxNewest} nginx=${nginxNewest} nginx-common=${nginxNewest} >/dev/null 2>&1`,
  );
  expect(await fleet.rootOk(host, "dpkg-query -W -f '${Version}\\n' openssl libssl3")).toBe(`${newest}\n${newest}\n`);
  expect((await fleet.rootOk(host, 'cat /run/nginx.pid')).trim()).toBe(pidBefore);
  await expect(httpGet(host.address, '/health')).resolves.toMatchObject({ status: 200 });
  // The other hosts are untouched.
  expect(await fleet.rootOk(hosts[0], "dpkg-query -W -f '${Version}' openssl")).toBe(versions[0]);
});

test('a version removed from the repository disappears from apt-cache madison after updateLists', async () => {
  const [, middle] = fleet.repo.multi.versions;
  const removed = await fleet.removeFromRepo('openssl', middle);
  expect(removed.sort().map((f) => f.split('_')[0])).toEqual(['libssl3', 'openssl']);
  const madison = async (): Promise<string> => fleet.rootOk(hosts[2], 'apt-cache madison openssl libssl3');
  // apt reads a file: source's Packages in place (its list is a symlink): apt-get update refreshes the rest.
  await fleet.updateLists();
  expect(await madison()).not.toContain(middle);
  expect(await madison()).toContain(fleet.repo.multi.versions[0]);
});

test('stop() leaves no process and no mount, and is idempotent', async () => {
  const hostsDir = `${fleet.fleetDir}/hosts`;
  expect((await processesRootedUnder(hostsDir)).length).toBeGreaterThan(3);
  await fleet.stop();
  await fleet.stop();
  expect(await processesRootedUnder(hostsDir)).toEqual([]);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(hostsDir);
  await expect(httpGet(hosts[0].address, '/health')).rejects.toThrow();
});
