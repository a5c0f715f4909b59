import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix, REPO_ROOT } from '../harness/test-env';
import { defaultFleetDir, FleetHost, SshFleet } from '../fleet/fleet';

jest.setTimeout(300_000);

// Scans end to end: real gateway and worker processes, PostgreSQL, Redis, and
// 11 real sshd hosts on 127.65.0.x, each with its own dpkg database holding
// different package versions. A 12th registered host has no sshd at all.
//
// Deploying a generated patch needs `apt-get install name=version` to work on
// a fleet host: test/fixtures/fleet-apt/apt-get (first on the fleet user's
// PATH through SshFleet's extraPath) builds a .deb with dpkg-deb and installs
// it with real dpkg into that host's database. The patch runs as generated.

const SUBNET = '127.65';
const FLEET_HOSTS = 11;
const OSV_FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'osv', 'debian-fleet.osv.json');
const SHIM_DIR = join(defaultFleetDir(SUBNET), 'bin');
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();

const OPENSSL_FIX = '3.0.15-1~deb12u1';

/** The package versions of fleet host i (0-based): the table the expectations below follow. */
function packagesOf(i: number): { name: string; version: string; source?: string; status?: string }[] {
  const openssl = i < 4 ? '3.0.11-1~deb12u2' : i < 8 ? OPENSSL_FIX : '3.0.13-1~deb12u1';
  return [
    { name: 'bash', version: '5.2.15-2+b7' },
    { name: 'openssl', version: openssl },
    { name: 'libssl3', version: openssl, source: 'openssl' },
    { name: 'curl', version: i % 2 === 0 ? '7.88.1-10+deb12u5' : '7.88.1-10+deb12u8' },
    { name: 'nginx', version: i < 5 ? '1.22.1-8' : '1.22.1-9+deb12u1' },
    ...(i === 2 ? [{ name: 'sudo', version: '1.9.13p3-1+deb12u1' }] : []),
    ...(i % 3 === 0 ? [{ name: 'libxml2', version: '2.9.14+dfsg-1.3~deb12u1' }] : []),
    // Removed, config files left: not installed, so never a finding.
    { name: 'sudo-ldap', version: '1.9.13p3-1+deb12u1', source: 'sudo', status: 'deinstall ok config-files' },
  ];
}

/** What a correct scan finds on host i: [package, advisory, severity, fixed version]. */
function expectedFindings(i: number): [string, string, string, string | null][] {
  const expected: [string, string, string, string | null][] = [];
  const openssl = packagesOf(i).find((p) => p.name === 'openssl')?.version;
  if (openssl !== OPENSSL_FIX) {
    expected.push(['openssl', 'DSA-5678-1', 'critical', OPENSSL_FIX], ['libssl3', 'DSA-5678-1', 'critical', OPENSSL_FIX]);
  }
  if (i % 2 === 0) expected.push(['curl', 'DSA-5690-1', 'high', '7.88.1-10+deb12u8']);
  if (i >= 5) expected.push(['nginx', 'DSA-5710-1', 'high', '1.22.1-9+deb12u2']);
  if (i === 2) expected.push(['sudo', 'DSA-5700-1', 'medium', '1.9.13p3-1+deb12u2']);
  if (i % 3 === 0) expected.push(['libxml2', 'DEBIAN-CVE-2026-30001', 'low', null]);
  return expected.sort((a, b) => a.join().localeCompare(b.join()));
}

function statusFile(i: number): string {
  return packagesOf(i)
    .map((p) =>
      [
        `Package: ${p.name}`,
        `Status: ${p.status ?? 'install ok installed'}`,
        'Priority: optional',
        'Section: misc',
        'Maintainer: Debian Developers <debian-devel@lists.debian.org>',
        `Architecture: ${ARCH}`,
        ...(p.source ? [`Source: ${p.source}`] : []),
        `Version: ${p.version}`,
        `Description: ${p.name}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

function ndjson(records: object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

describe('scans and findings (gateway + worker + sshd fleet with per-host dpkg databases)', () => {
  mkdirSync(SHIM_DIR, { recursive: true, mode: 0o755 });
  copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'fleet-apt', 'apt-get'), join(SHIM_DIR, 'apt-get'));
  execFileSync('chmod', ['755', SHIM_DIR, join(SHIM_DIR, 'apt-get')]);
  const fleet = new SshFleet({ subnet: SUBNET, extraPath: [SHIM_DIR] });
  const run = randomSuffix();
  const label = `scan-${run}`;
  const osv = JSON.parse(readFileSync(OSV_FIXTURE, 'utf8')) as { id: string; modified: string }[];
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let hosts: { id: string; name: string; index: number; fleet: FleetHost }[] = [];
  let unreachableId: string;

  /** Raw bodies (NDJSON, broken JSON): the ApiClient only sends objects. */
  async function importBody(body: string, contentType = 'application/json') {
    const response = await fetch(`${gateway.url}/advisories/import`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${(api as unknown as { token: string }).token}` },
      body,
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  const waitForTask = (taskId: string): Promise<any> => api.waitForTask(taskId, 180_000);

  async function scan(): Promise<{ scanId: string; task: any; view: any }> {
    const accepted = await api.post('/scans', { targets: { labels: { suite: label } } });
    expect(accepted.status).toBe(202);
    expect(accepted.body.statusUrl).toBe(`/tasks/${accepted.body.taskId}`);
    const task = await waitForTask(accepted.body.taskId);
    // An id in upper case is the same task (the UUID is normalised, as PostgreSQL does).
    const upper = await api.get(`/tasks/${String(accepted.body.taskId).toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.body).toMatchObject({ id: accepted.body.taskId, status: task.status });
    const view = (await api.get(`/scans/${accepted.body.scanId}`)).body;
    return { scanId: accepted.body.scanId, task, view };
  }

  async function findingsOf(hostId: string, status = 'open'): Promise<any[]> {
    const response = await api.get(`/findings?hostId=${hostId}&status=${status}&limit=500`);
    expect(response.status).toBe(200);
    return response.body.items;
  }

  beforeAll(async () => {
    await fleet.start(FLEET_HOSTS);
    await Promise.all(fleet.hosts.map((h, i) => fleet.writeHostFile(h, 'dpkg/status', statusFile(i))));
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const credential = await api.post('/credentials', {
      name: `scan-fleet-${run}`,
      username: fleet.username,
      privateKey: fleet.privateKey,
    });
    expect(credential.status).toBe(201);
    const bulk = await api.post('/hosts/bulk', {
      hosts: [
        ...fleet.hosts.map((h) => ({
          name: `${run}-${h.name}`,
          address: h.address,
          port: h.port,
          credentialId: credential.body.id,
          hostKey: h.hostKey,
          labels: { suite: label },
        })),
        // Registered and pinned, but nothing listens there.
        {
          name: `${run}-gone`,
          address: `${SUBNET}.0.250`,
          port: 2222,
          credentialId: credential.body.id,
          hostKey: fleet.hosts[0]?.hostKey,
          labels: { suite: label },
        },
      ],
    });
    expect(bulk.status).toBe(201);
    const items = bulk.body.items as { id: string; name: string }[];
    unreachableId = items.find((h) => h.name === `${run}-gone`)?.id as string;
    hosts = items
      .filter((h) => h.id !== unreachableId)
      .map((h) => {
        const fleetHost = fleet.host(h.name.slice(run.length + 1));
        return { id: h.id, name: h.name, fleet: fleetHost, index: fleet.hosts.findIndex((f) => f.name === fleetHost.name) };
      })
      .sort((a, b) => a.index - b.index);
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('imports the OSV fixture, skipping and counting other ecosystems, and is idempotent by id and modified', async () => {
    const first = await importBody(readFileSync(OSV_FIXTURE, 'utf8'));
    expect(first).toEqual({
      status: 200,
      body: { received: 7, imported: 6, updated: 0, unchanged: 0, skipped: { records: 1, ecosystems: { npm: 1 } } },
    });
    // The same records again, as newline-delimited JSON: nothing changes.
    const again = await importBody(ndjson(osv), 'application/x-ndjson');
    expect(again.body).toEqual({ received: 7, imported: 0, updated: 0, unchanged: 6, skipped: { records: 1, ecosystems: { npm: 1 } } });
    // A newer `modified` replaces the stored record; an older one does not.
    const curl = osv.find((r) => r.id === 'DSA-5690-1') as { modified: string };
    const newer = await importBody(JSON.stringify({ ...curl, modified: '2026-03-01T00:00:00Z' }));
    expect(newer.body).toEqual(expect.objectContaining({ received: 1, updated: 1, imported: 0 }));
    const older = await importBody(JSON.stringify({ ...curl, modified: '2025-01-01T00:00:00Z', summary: 'stale' }));
    expect(older.body).toEqual(expect.objectContaining({ received: 1, updated: 0, unchanged: 1 }));
  });

  it('imports a JSON array far above the 1 MiB JSON body limit, in batches, in one request', async () => {
    const records = Array.from({ length: 6000 }, (_, i) => ({
      id: `DEBIAN-BULK-${run}-${i}`,
      modified: '2026-02-01T00:00:00Z',
      aliases: [`CVE-2026-${40000 + i}`],
      summary: `bulk record ${i} for a package no fleet host has`,
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: `vz-bulk-${i}` },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.${i}-1` }] }],
        },
      ],
    }));
    const body = JSON.stringify(records);
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024);
    expect((await importBody(body)).body).toEqual(expect.objectContaining({ received: 6000, imported: 6000 }));
  });

  it('refuses malformed OSV with 400 naming the record index and field, importing nothing of the body', async () => {
    const fresh = {
      id: `DSA-9${run.slice(0, 3).replace(/\D/g, '1')}-1`,
      modified: '2026-02-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'zlib' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-1+deb12u1' }] }],
        },
      ],
    };
    const bad = [
      fresh,
      {
        id: 'DSA-5801-1',
        modified: '2026-02-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [] }] }],
      },
      { modified: '2026-02-01T00:00:00Z' },
    ];
    const response = await importBody(JSON.stringify(bad));
    expect(response.status).toBe(400);
    expect(response.body.message).toEqual(
      expect.arrayContaining([
        '[1].affected[0].ranges[0].events: must be a non-empty array',
        expect.stringContaining('[2].id: is required'),
      ]),
    );
    expect(response.body.requestId).toEqual(expect.any(String));
    // Broken JSON halfway through an NDJSON body names the record too.
    const broken = await importBody(`${JSON.stringify(fresh)}\n{"id": "DSA-5802-1", "modified": }\n`, 'application/x-ndjson');
    expect(broken.status).toBe(400);
    expect(broken.body.message).toEqual([expect.stringContaining('[1]: is not valid JSON')]);
    // The valid first record of those bodies was not kept: importing it alone is new.
    expect((await importBody(JSON.stringify(fresh))).body).toEqual(expect.objectContaining({ imported: 1 }));
    // Not JSON at all: 415 naming the header.
    expect((await importBody('x', 'text/csv')).status).toBe(415);
  });

  it('scans every fleet host, finds what each dpkg database holds with the right severities, and reports the unreachable host', async () => {
    const { scanId, task, view } = await scan();
    expect(task).toEqual(
      expect.objectContaining({
        type: 'scan',
        status: 'succeeded',
        resourceType: 'scan',
        resourceId: scanId,
        result: expect.objectContaining({ scanStatus: 'partial', hosts: { total: 12, scanned: 11, failed: 1 } }),
      }),
    );
    expect(task.progress).toEqual(expect.objectContaining({ done: 12, total: 12, percent: 100 }));
    expect(view.status).toBe('partial');
    expect(view.hosts).toHaveLength(12);

    const gone = view.hosts.find((h: any) => h.hostId === unreachableId);
    expect(gone).toEqual(expect.objectContaining({ status: 'failed', errorCode: 'unreachable', packageCount: null }));
    expect(gone.error).toContain(`${SUBNET}.0.250`);

    let total = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
    for (const host of hosts) {
      const expected = expectedFindings(host.index);
      const hostView = view.hosts.find((h: any) => h.hostId === host.id);
      expect(hostView).toEqual(
        expect.objectContaining({
          status: 'succeeded',
          errorCode: null,
          packageCount: packagesOf(host.index).length - 1,
          newFindings: expected.length,
        }),
      );
      expect(hostView.os).toEqual(expect.objectContaining({ id: 'debian', versionId: '12' }));
      const counts = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
      for (const [, , severity] of expected) counts[severity as keyof typeof counts]++;
      expect(hostView.findings).toEqual(counts);
      total = Object.fromEntries(Object.entries(total).map(([k, n]) => [k, n + counts[k as keyof typeof counts]])) as typeof total;

      const found = (await findingsOf(host.id)).map((f) => [f.package, f.advisoryId, f.severity, f.fixedVersion]);
      expect(found.sort((a, b) => a.join().localeCompare(b.join()))).toEqual(expected);
    }
    expect(view.summary).toEqual({ hosts: 12, scanned: 11, failed: 1, pending: 0, findings: total });

    // One finding in full: versions, aliases, first/last seen, the scan that saw it.
    const [openssl] = (await findingsOf(hosts[0]?.id as string)).filter((f) => f.package === 'openssl');
    expect(openssl).toEqual(
      expect.objectContaining({
        installedVersion: '3.0.11-1~deb12u2',
        fixedVersion: OPENSSL_FIX,
        aliases: ['CVE-2026-10001', 'CVE-2026-10002'],
        score: 9.8,
        status: 'open',
        firstScanId: scanId,
        lastScanId: scanId,
        resolvedAt: null,
        patchId: null,
      }),
    );
    // Filters: severity list, and an alias instead of the advisory id.
    const critical = await api.get(`/findings?severity=critical&status=open&limit=500`);
    expect(critical.body.items.filter((f: any) => hosts.some((h) => h.id === f.hostId))).toHaveLength(total.critical);
    expect(critical.body.items.every((f: any) => f.severity === 'critical')).toBe(true);
    const byAlias = await api.get(`/findings?advisoryId=CVE-2026-21500`);
    expect(byAlias.body.items.map((f: any) => f.hostId)).toEqual([hosts[2]?.id]);
    expect((await api.get('/findings?severity=urgent')).status).toBe(400);
    expect((await api.get('/findings?hostId=nope')).body.message).toEqual(['hostId must be a UUID']);
  });

  it("turns findings into one shared patch of the advisory's source package", async () => {
    // Deploying it, and the rescan that resolves the findings, run on real Debian hosts:
    // test/e2e/debian-packages.e2e-spec.ts (package patches run as root with real apt).
    const vulnerable = hosts.filter((h) => expectedFindings(h.index).some(([pkg]) => pkg === 'openssl'));
    expect(vulnerable.length).toBeGreaterThanOrEqual(7);
    const opensslFinding = async (hostId: string) => (await findingsOf(hostId)).find((f) => f.package === 'openssl');

    const first = await api.post(`/findings/${(await opensslFinding(vulnerable[0]?.id as string)).id}/patch`);
    // 200 when another suite of this run (the console's) already made the patch for this advisory package and fix.
    expect([200, 201]).toContain(first.status);
    expect(first.body).toEqual(
      expect.objectContaining({
        created: first.status === 201,
        patch: expect.objectContaining({ status: 'draft', package: { manager: 'apt', source: 'openssl', version: OPENSSL_FIX } }),
      }),
    );
    expect(first.body.openFindings).toBeGreaterThanOrEqual(vulnerable.length);
    expect(first.body.patch.capture.plan).toContain(`vz_mode='source'; vz_target='openssl'; vz_version='${OPENSSL_FIX}'`);
    // Another host's finding of the same package and fixed version: the same patch.
    const second = await api.post(`/findings/${(await opensslFinding(vulnerable[5]?.id as string)).id}/patch`);
    expect(second.status).toBe(200);
    expect(second.body.patch.id).toBe(first.body.patch.id);
    expect((await opensslFinding(vulnerable[3]?.id as string)).patchId).toBe(first.body.patch.id);
    // No fixed version: nothing to patch with.
    const libxml2 = (await findingsOf(hosts[0]?.id as string)).find((f) => f.package === 'libxml2');
    expect((await api.post(`/findings/${libxml2.id}/patch`)).status).toBe(409);
  });

  it('lets only callers with scans:run start a scan', async () => {
    const key = await api.post('/api-keys', { name: `viewer-${run}`, role: 'viewer' });
    expect(key.status).toBe(201);
    const viewer = api.withToken(key.body.key);
    expect((await viewer.post('/scans', { targets: { labels: { suite: label } } })).status).toBe(403);
    expect((await viewer.get(`/findings?limit=1`)).status).toBe(200);
    expect((await api.post('/scans', { targets: { labels: { suite: label } }, extra: 1 })).status).toBe(400);
  });
});
