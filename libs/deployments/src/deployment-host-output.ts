import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BadInputError, NotFoundError } from '@vulnzero/http';
import type { HostStatus } from './core/host-state';
import { isHostOutputSettled, pageOfCommands } from './core/host-output';
import { CommandRecord, DeploymentEntity, DeploymentHostEntity } from './deployment.entity';

export interface HostOutputView {
  deploymentId: string;
  hostId: string;
  hostName: string;
  status: HostStatus;
  /** True once the host's output can no longer grow in this deployment. */
  settled: boolean;
  error: string | null;
  output: CommandRecord[];
}

/** Commands per page of a host's output: each holds up to 64 KiB per stream. */
const DEFAULT_OUTPUT_PAGE = 20;
const MAX_OUTPUT_PAGE = 100;

/** Where one host of a deployment stands, for its output views: 404 naming what is missing. */
function hostOutputStateOf(
  id: string,
  hostId: string,
  host: Pick<DeploymentHostEntity, 'hostId' | 'hostName' | 'status' | 'error'> | null,
  deployment: Pick<DeploymentEntity, 'status'> | null,
): Omit<HostOutputView, 'output'> {
  if (!deployment) throw new NotFoundError('deployment', id);
  if (!host) throw new NotFoundError('host in deployment', hostId);
  return {
    deploymentId: id,
    hostId: host.hostId,
    hostName: host.hostName,
    status: host.status,
    settled: isHostOutputSettled(host.status, deployment.status),
    error: host.error,
  };
}

/** One host's recorded command output in a deployment (`GET /deployments/:id/hosts/:hostId/output`). */
@Injectable()
export class DeploymentHostOutput {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * A host's status in a deployment without its output: what a follower of
   * the host's live output polls (reading the output every second would cost
   * up to a megabyte a poll per follower).
   */
  async state(id: string, hostId: string): Promise<Omit<HostOutputView, 'output'>> {
    const host = await this.db.getRepository(DeploymentHostEntity).findOne({
      where: { deploymentId: id, hostId },
      select: { hostId: true, hostName: true, status: true, error: true },
    });
    const deployment = await this.db.getRepository(DeploymentEntity).findOne({ where: { id }, select: { id: true, status: true } });
    return hostOutputStateOf(id, hostId, host, deployment);
  }

  /**
   * Every command with its whole bounded output, a page of commands at a
   * time: `cursor` as `nextCursor` gave it, `limit` 1-100 (20).
   */
  async page(
    id: string,
    hostId: string,
    query: { cursor?: string; limit?: string },
  ): Promise<HostOutputView & { nextCursor: string | null }> {
    const problems: string[] = [];
    if (query.cursor !== undefined && !/^(0|[1-9][0-9]{0,8})$/.test(query.cursor))
      problems.push('cursor: is not a cursor this list issued');
    if (
      query.limit !== undefined &&
      !(/^[0-9]{1,3}$/.test(query.limit) && Number(query.limit) >= 1 && Number(query.limit) <= MAX_OUTPUT_PAGE)
    ) {
      problems.push(`limit: must be an integer from 1 to ${MAX_OUTPUT_PAGE}`);
    }
    if (problems.length > 0) throw new BadInputError(problems, { field: problems[0]?.split(':')[0] });
    const view = await this.all(id, hostId);
    const page = pageOfCommands(view.output, Number(query.cursor ?? 0), Number(query.limit ?? DEFAULT_OUTPUT_PAGE));
    return { ...view, output: page.items, nextCursor: page.nextCursor };
  }

  /** All of it (what a follower sends once the host settles). */
  async all(id: string, hostId: string): Promise<HostOutputView> {
    const host = await this.db
      .getRepository(DeploymentHostEntity)
      .createQueryBuilder('h')
      .addSelect('h.output')
      .where('h.deployment_id = :id AND h.host_id = :hostId', { id, hostId })
      .getOne();
    const deployment = await this.db.getRepository(DeploymentEntity).findOne({ where: { id }, select: { id: true, status: true } });
    return { ...hostOutputStateOf(id, hostId, host, deployment), output: (host as DeploymentHostEntity).output };
  }
}
