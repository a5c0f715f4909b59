import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Actor } from '@vulnzero/auth';
import { keysetPage, Page } from '@vulnzero/database';
import { ConflictError, NotFoundError } from '@vulnzero/http';
import { PatchesService, PatchView } from '@vulnzero/patches';
import type { Severity } from './core';
import { FindingEntity, FindingStatus, PackageFixPatchEntity } from './scan.entities';
import { FindingView, toFindingView } from './scan-view';

export interface FindingsFilter {
  severity?: Severity[];
  hostId?: string;
  status?: FindingStatus;
  package?: string;
  advisoryId?: string;
  cursor?: string;
  limit: number;
}

export interface FindingPatch {
  /** False when findings of this package and fixed version already had a patch: it is returned. */
  created: boolean;
  patch: PatchView;
  /** Open findings (every host) this patch fixes. */
  openFindings: number;
}

@Injectable()
export class FindingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly patches: PatchesService,
  ) {}

  async list(filter: FindingsFilter): Promise<Page<FindingView>> {
    const query = this.db.getRepository(FindingEntity).createQueryBuilder('f');
    if (filter.severity?.length) query.andWhere('f.severity IN (:...severity)', { severity: filter.severity });
    if (filter.hostId) query.andWhere('f.host_id = :hostId', { hostId: filter.hostId });
    if (filter.status) query.andWhere('f.status = :status', { status: filter.status });
    if (filter.package) query.andWhere('f.package = :package', { package: filter.package });
    if (filter.advisoryId)
      query.andWhere('(f.advisory_id = :advisoryId OR :advisoryId = ANY(f.aliases))', { advisoryId: filter.advisoryId });
    const page = await keysetPage(query, 'f', filter);
    const links = await this.patchLinks(page.items);
    return {
      items: page.items.map((f) => toFindingView(f, (f.fixedVersion && links.get(`${f.matchedName}=${f.fixedVersion}`)) || null)),
      nextCursor: page.nextCursor,
    };
  }

  async get(id: string): Promise<FindingView> {
    const finding = await this.find(id);
    const links = await this.patchLinks([finding]);
    return toFindingView(finding, (finding.fixedVersion && links.get(`${finding.matchedName}=${finding.fixedVersion}`)) || null);
  }

  /**
   * The draft apt patch that installs the finding's fixed version, generated
   * by the patches capability's package shorthand in its source form: the
   * advisory names a source package (Debian's do), and every installed binary
   * built from it moves to the fixed source version (openssl and libssl3
   * together). One patch per advisory package and fixed version across the
   * fleet: a second call (for any finding of that pair, whichever binary it
   * is on) returns the same patch. An advisory lock on the pair makes two
   * concurrent calls agree on one patch.
   */
  async patchFor(actor: Actor, id: string): Promise<FindingPatch> {
    const finding = await this.find(id);
    if (finding.fixedVersion === null) {
      throw new ConflictError(
        `finding ${id}: advisory ${finding.advisoryId} names no fixed version of ${finding.package} yet, so there is nothing to install`,
      );
    }
    if (finding.status === 'resolved') {
      throw new ConflictError(`finding ${id} is resolved: ${finding.package} on that host no longer has ${finding.advisoryId}`);
    }
    const pkg = finding.matchedName;
    const fixed = finding.fixedVersion;
    const { created, patchId } = await this.db.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vulnzero:package-fix:${pkg}=${fixed}`]);
      const link = await em.findOneBy(PackageFixPatchEntity, { package: pkg, fixedVersion: fixed });
      if (link) return { created: false, patchId: link.patchId };
      const patch = await this.patches.create(actor, { name: `${pkg} ${fixed}`, package: { manager: 'apt', source: pkg, version: fixed } });
      await em.insert(PackageFixPatchEntity, { package: pkg, fixedVersion: fixed, patchId: patch.id, createdBy: actor.name });
      return { created: true, patchId: patch.id };
    });
    const openFindings = await this.db.getRepository(FindingEntity).countBy({ matchedName: pkg, fixedVersion: fixed, status: 'open' });
    return { created, patch: await this.patches.get(patchId), openFindings };
  }

  private async find(id: string): Promise<FindingEntity> {
    const finding = await this.db.getRepository(FindingEntity).findOneBy({ id });
    if (!finding) throw new NotFoundError('finding', id);
    return finding;
  }

  private async patchLinks(findings: FindingEntity[]): Promise<Map<string, string>> {
    const pairs = findings.filter((f) => f.fixedVersion !== null);
    if (pairs.length === 0) return new Map();
    const rows = (await this.db.query(
      `SELECT l.package, l.fixed_version, l.patch_id FROM package_fix_patches l
       JOIN unnest($1::text[], $2::text[]) AS w(package, fixed_version) USING (package, fixed_version)`,
      [pairs.map((f) => f.matchedName), pairs.map((f) => f.fixedVersion)],
    )) as { package: string; fixed_version: string; patch_id: string }[];
    return new Map(rows.map((r) => [`${r.package}=${r.fixed_version}`, r.patch_id]));
  }
}
