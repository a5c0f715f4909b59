import { Injectable } from '@nestjs/common';
import { HostEntity, HostsService } from '@vulnzero/inventory';
import { DEFAULT_MAX_OUTPUT_BYTES, quoteShellArg, SshConnectionError, SshConnector, SshSession } from '@vulnzero/ssh';
import {
  DPKG_QUERY_FORMAT,
  InstalledPackage,
  OsRelease,
  parseAptUpgradable,
  parseDpkgQuery,
  parseOsRelease,
  UpgradablePackage,
} from '../core';

export type HostScanOutcome =
  | { ok: true; os: OsRelease; packages: InstalledPackage[]; upgradable: UpgradablePackage[] | null }
  | { ok: false; code: string; message: string };

const COMMAND_TIMEOUT_MS = 120_000;
/**
 * Per stream of each scan command. A large Debian host lists a few thousand
 * packages (~0.5 MiB); a host printing more is not read further: its scan
 * fails, and what the worker holds for it stays within the limit per stream.
 */
export const MAX_INVENTORY_BYTES = 8 * 1024 * 1024;
const BOUNDED = { timeoutMs: COMMAND_TIMEOUT_MS, maxOutputBytes: MAX_INVENTORY_BYTES, stopAtLimit: true };

const OS_RELEASE = 'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release';
// dpkg-query honours DPKG_ADMINDIR, so a host with its own dpkg database is read as it is.
const DPKG_QUERY = `dpkg-query -W -f=${quoteShellArg(DPKG_QUERY_FORMAT)}`;
// apt's view of what could be upgraded, from its cached lists (no `apt update`:
// a scan changes nothing). Pointed at the same dpkg status file dpkg-query read.
const APT_UPGRADABLE = [
  'command -v apt >/dev/null 2>&1 || exit 127',
  'set --',
  'if [ -n "${DPKG_ADMINDIR:-}" ]; then set -- -o "Dir::State::status=$DPKG_ADMINDIR/status"; fi',
  'apt list --upgradable "$@" 2>/dev/null',
].join('; ');

const CONNECTION_CODES: Record<SshConnectionError['kind'], string> = {
  network: 'unreachable',
  timeout: 'timeout',
  auth: 'auth',
  host_key_mismatch: 'host_key_mismatch',
  address_not_allowed: 'address_not_allowed',
};

/** Reads one host's OS and packages over SSH with its pinned host key. */
@Injectable()
export class HostScanner {
  constructor(
    private readonly hosts: HostsService,
    private readonly ssh: SshConnector,
  ) {}

  async scan(host: HostEntity): Promise<HostScanOutcome> {
    if (!host.hostKey) {
      return {
        ok: false,
        code: 'host_key_not_pinned',
        message: `host key of ${host.name} is not pinned: trust it (POST /hosts/${host.id}/host-key/trust) first`,
      };
    }
    let session: SshSession;
    try {
      session = await this.ssh.connect(await this.hosts.sshTargetFor(host));
    } catch (error) {
      if (error instanceof SshConnectionError) return { ok: false, code: CONNECTION_CODES[error.kind], message: error.message };
      throw error;
    }
    try {
      const os = await session.exec(OS_RELEASE, { timeoutMs: COMMAND_TIMEOUT_MS, stopAtLimit: true });
      if (os.overflowed) return tooLarge('reading /etc/os-release', DEFAULT_MAX_OUTPUT_BYTES);
      if (os.exitCode !== 0) return { ok: false, code: 'os_release_unreadable', message: `reading /etc/os-release failed: ${failure(os)}` };
      const dpkg = await session.exec(DPKG_QUERY, BOUNDED);
      if (dpkg.truncated) return tooLarge('dpkg-query', MAX_INVENTORY_BYTES);
      if (dpkg.exitCode !== 0) return { ok: false, code: 'dpkg_query_failed', message: `dpkg-query failed: ${failure(dpkg)}` };
      const apt = await session.exec(APT_UPGRADABLE, BOUNDED);
      if (apt.truncated) return tooLarge('apt list --upgradable', MAX_INVENTORY_BYTES);
      return {
        ok: true,
        os: parseOsRelease(os.stdout),
        packages: parseDpkgQuery(dpkg.stdout),
        upgradable: apt.exitCode === 0 ? parseAptUpgradable(apt.stdout) : null,
      };
    } catch (error) {
      if (error instanceof SshConnectionError) return { ok: false, code: 'connection_lost', message: error.message };
      throw error;
    } finally {
      await session.close();
    }
  }
}

function tooLarge(what: string, limit: number): HostScanOutcome {
  return {
    ok: false,
    code: 'inventory_too_large',
    message: `${what} printed more than ${limit} bytes on one stream: the host was not read further`,
  };
}

function failure(result: { exitCode: number | null; timedOut: boolean; stderr: string }): string {
  if (result.timedOut) return `timed out after ${COMMAND_TIMEOUT_MS / 1000} s`;
  const stderr = result.stderr.trim().slice(-500);
  return `exit ${result.exitCode ?? 'by signal'}${stderr ? `: ${stderr}` : ''}`;
}
