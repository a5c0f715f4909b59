import { Injectable } from '@nestjs/common';
import { mapLimit } from '@vulnzero/async';
import { HostEntity, HostsService } from '@vulnzero/inventory';
import { SshConnector } from '@vulnzero/ssh';

const PROBE_PARALLEL = 8;
const PROBE_CONNECT_TIMEOUT_MS = 10_000;

/** Can the worker reach a host (a dry run's `checkReachability`): connects and authenticates, runs nothing. */
@Injectable()
export class ReachabilityProbe {
  constructor(
    private readonly connector: SshConnector,
    private readonly hosts: HostsService,
  ) {}

  /** Connects and authenticates to each host (pinned key), runs nothing; at most PROBE_PARALLEL at once. Host id → why it is unreachable. */
  async unreachable(targets: HostEntity[]): Promise<Map<string, string>> {
    const unreachable = new Map<string, string>();
    await mapLimit(targets, PROBE_PARALLEL, async (host) => {
      try {
        const session = await this.connector.connect({
          ...(await this.hosts.sshTargetFor(host)),
          connectTimeoutMs: PROBE_CONNECT_TIMEOUT_MS,
        });
        await session.close();
      } catch (error) {
        unreachable.set(host.id, error instanceof Error ? error.message : String(error));
      }
    });
    return unreachable;
  }
}
