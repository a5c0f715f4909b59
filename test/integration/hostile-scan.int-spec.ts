// A scanned host that prints without end must not grow the worker's memory:
// the scan reads at most MAX_INVENTORY_BYTES per stream, stops the command and
// fails the host with a clear error. Real sshd; subnet 127.82.1 belongs to this file.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostEntity, HostsService } from '@vulnzero/inventory';
import { HostScanner } from '../../libs/scans/src/engine/host-scanner';
import { SshConnector } from '@vulnzero/ssh';
import { SshFleet } from '../fleet/fleet';

jest.setTimeout(90_000);

const shims = mkdtempSync(join(tmpdir(), 'vz-hostile-scan-'));
const fleet = new SshFleet({ subnet: '127.82.1', extraPath: [shims] });
/** What a hostile host may make the worker hold while it is scanned (was up to 128 MiB, for two minutes). */
const MEMORY_BOUND_BYTES = 48 * 1024 * 1024;

/** What this process holds in buffers and on the heap, sampled while `run` runs: the peak above the start. */
async function peakGrowthDuring<T>(run: () => Promise<T>): Promise<{ result: T; peakBytes: number }> {
  const held = () => {
    const usage = process.memoryUsage();
    return usage.arrayBuffers + usage.heapUsed;
  };
  const start = held();
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, held())), 10);
  try {
    const result = await run();
    peak = Math.max(peak, held());
    return { result, peakBytes: peak - start };
  } finally {
    clearInterval(sampler);
  }
}

beforeAll(async () => {
  // The host's dpkg-query prints package lines for ever.
  const shim = join(shims, 'dpkg-query');
  writeFileSync(
    shim,
    '#!/bin/sh\nexec yes "hostile-package-with-a-rather-long-name\t1.0-1\tinstall ok installed\tamd64\thostile\t1.0-1"\n',
  );
  chmodSync(shim, 0o755);
  chmodSync(shims, 0o755);
  await fleet.start(1);
});

afterAll(async () => {
  await fleet.stop();
  rmSync(shims, { recursive: true, force: true });
});

it('fails the scan of a host printing endless output with inventory_too_large, quickly and within a bounded memory', async () => {
  const host = fleet.hosts[0]!;
  const target = { address: host.address, port: host.port, username: fleet.username, privateKey: fleet.privateKey, hostKey: host.hostKey };
  const hosts = { sshTargetFor: async () => target } as unknown as HostsService;
  const scanner = new HostScanner(hosts, new SshConnector());
  const started = Date.now();
  const { result, peakBytes } = await peakGrowthDuring(() =>
    scanner.scan({ id: 'hostile', name: 'hostile', hostKey: host.hostKey } as HostEntity),
  );
  expect(result).toEqual({
    ok: false,
    code: 'inventory_too_large',
    message: expect.stringMatching(/^dpkg-query printed more than \d+ bytes/),
  });
  // Stopped at the limit, not at the command's two-minute deadline.
  expect(Date.now() - started).toBeLessThan(45_000);
  // The limit per stream, its text once, and the garbage of the packets in between.
  expect(peakBytes).toBeLessThan(MEMORY_BOUND_BYTES);
});
