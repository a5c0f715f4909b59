import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { Actor, roleHas } from '@vulnzero/auth';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { keysetPage, Page } from '@vulnzero/database';
import { BadInputError, DomainError, NotFoundError } from '@vulnzero/http';
import type { AptPackage } from './core/package-patch';
import { HealthCheck, isIrreversible, normalizePatchDefinition, PatchDefinition, validatePatchDefinition } from './core/patch-definition';
import { PatchEntity, PatchStatus } from './patch.entity';
import { PatchAlreadyApprovedError, PatchNotApprovedError, SelfApprovalError } from './patches.errors';

/** A patch as the API shows it: the definition's fields flattened next to its record. */
export interface PatchView {
  id: string;
  name: string;
  status: PatchStatus;
  capture: Record<string, string>;
  apply: string[];
  rollback: string[];
  verify: string | null;
  healthChecks: HealthCheck[];
  timeoutSeconds: number;
  package: AptPackage | null;
  /** Package patches: the command run after apply and rollback that reports restarts needed and reboot required. */
  report: string | null;
  /** No rollback exists: deployed only without autoRollback, never rolled back. */
  irreversible: boolean;
  createdBy: string;
  createdAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
}

/** What the deploy engine gets: an approved patch, whose definition can no longer change. */
export interface ApprovedPatch {
  id: string;
  name: string;
  definition: PatchDefinition;
  approvedBy: string;
  approvedAt: Date;
}

/** Older patches know their creator by name only. */
function createdBySameUser(patch: PatchEntity, actor: Actor): boolean {
  return patch.createdByUserId ? patch.createdByUserId === actor.userId : patch.createdBy === actor.name;
}

export function toPatchView(patch: PatchEntity): PatchView {
  const d = patch.definition;
  return {
    id: patch.id,
    name: patch.name,
    status: patch.status,
    capture: d.capture,
    apply: d.apply,
    rollback: d.rollback,
    verify: d.verify,
    healthChecks: d.healthChecks,
    timeoutSeconds: d.timeoutSeconds,
    package: d.package,
    report: d.report ?? null,
    irreversible: isIrreversible(d),
    createdBy: patch.createdBy,
    createdAt: patch.createdAt.toISOString(),
    approvedBy: patch.approvedBy,
    approvedAt: patch.approvedAt?.toISOString() ?? null,
  };
}

@Injectable()
export class PatchesService {
  constructor(
    @InjectRepository(PatchEntity) private readonly patches: Repository<PatchEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Validates the input (400 naming every bad field) and stores it as a draft. */
  async create(actor: Actor, input: unknown): Promise<PatchView> {
    const problems = validatePatchDefinition(input);
    if (problems.length > 0) throw new BadInputError(problems.map((p) => `${p.field}: ${p.message}`));
    const definition = normalizePatchDefinition(input, { artifactDays: this.config.rollbackArtifactDays });
    const saved = await this.db.transaction(async (em) => {
      const patches = em.getRepository(PatchEntity);
      const patch = await patches.save(
        patches.create({
          name: definition.name,
          definition,
          status: 'draft',
          createdBy: actor.name,
          createdByUserId: actor.userId,
          approvedBy: null,
          approvedAt: null,
        }),
      );
      await this.audit.recordChange(em, {
        action: 'patch.create',
        resourceType: 'patch',
        resourceId: patch.id,
        detail: { name: patch.name },
      });
      return patch;
    });
    return toPatchView(saved);
  }

  async get(id: string): Promise<PatchView> {
    return toPatchView(await this.find(id));
  }

  async list(filter: { cursor?: string; limit: number; status?: PatchStatus }): Promise<Page<PatchView>> {
    const query = this.patches.createQueryBuilder('p');
    if (filter.status) query.andWhere('p.status = :status', { status: filter.status });
    const page = await keysetPage(query, 'p', filter);
    return { items: page.items.map(toPatchView), nextCursor: page.nextCursor };
  }

  /**
   * draft → approved, once. A conditional UPDATE, so two concurrent approvals
   * cannot both win. With REQUIRE_SEPARATE_APPROVER (the default) the user
   * who created the patch, signed in or through any of their keys, gets 403.
   */
  async approve(actor: Actor, id: string): Promise<PatchView> {
    // The route checks this too; a service caller must not bypass it.
    if (!roleHas(actor.role, 'patches:approve')) {
      throw new DomainError(403, `role ${actor.role} cannot approve patches`);
    }
    const draft = await this.find(id);
    if (this.config.requireSeparateApprover && createdBySameUser(draft, actor)) throw new SelfApprovalError(id, draft.createdBy);
    await this.db.transaction(async (em) => {
      const result = await em
        .createQueryBuilder()
        .update(PatchEntity)
        .set({ status: 'approved', approvedBy: actor.name, approvedAt: () => 'now()' })
        .where('id = :id AND status = :draft', { id, draft: 'draft' })
        .execute();
      if (!result.affected) throw new PatchAlreadyApprovedError(id);
      await this.audit.recordChange(em, {
        action: 'patch.approve',
        resourceType: 'patch',
        resourceId: id,
        detail: { name: draft.name, status: { from: 'draft', to: 'approved' }, createdBy: draft.createdBy },
      });
    });
    return toPatchView(await this.find(id));
  }

  /**
   * The patch a deployment may run: NotFoundError (404) when it does not
   * exist, PatchNotApprovedError (409) while it is a draft.
   */
  async getApproved(id: string): Promise<ApprovedPatch> {
    const patch = await this.find(id);
    if (patch.status !== 'approved' || !patch.approvedBy || !patch.approvedAt) {
      throw new PatchNotApprovedError(id);
    }
    return {
      id: patch.id,
      name: patch.name,
      definition: patch.definition,
      approvedBy: patch.approvedBy,
      approvedAt: patch.approvedAt,
    };
  }

  private async find(id: string): Promise<PatchEntity> {
    const patch = await this.patches.findOneBy({ id });
    if (!patch) throw new NotFoundError('patch', id);
    return patch;
  }
}
