import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import type { Actor } from '@vulnzero/auth';
import { keysetPage, Page } from '@vulnzero/database';
import { BadInputError, ConflictError, NotFoundError } from '@vulnzero/http';
import { ACTIVE_DEPLOYMENT_STATUSES } from './core/deployment-state';
import { RecurringWindow, validateWindow, windowStateAt } from './core/maintenance-window';
import { MaintenanceWindowEntity } from './maintenance-window.entity';

export interface CreateMaintenanceWindowInput {
  name: string;
  recurrence: string;
  duration: string;
  timezone: string;
}

export interface MaintenanceWindowView extends RecurringWindow {
  id: string;
  name: string;
  createdBy: string;
  createdAt: string;
  /** At the time of the request: open until `closesAt`, or closed until `opensAt` (null: never again). */
  state: { open: true; closesAt: string } | { open: false; opensAt: string | null };
  links: { self: string };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toMaintenanceWindowView(row: MaintenanceWindowEntity, now = new Date()): MaintenanceWindowView {
  const window = { recurrence: row.recurrence, duration: row.duration, timezone: row.timezone };
  const state = windowStateAt(window, now);
  return {
    id: row.id,
    name: row.name,
    ...window,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    state: state.open
      ? { open: true, closesAt: state.closesAt.toISOString() }
      : { open: false, opensAt: state.opensAt?.toISOString() ?? null },
    links: { self: `/maintenance-windows/${row.id}` },
  };
}

/** Named, reusable maintenance windows: a recurrence and a duration in a time zone. */
@Injectable()
export class MaintenanceWindowsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: CreateMaintenanceWindowInput): Promise<MaintenanceWindowView> {
    const name = String(input.name ?? '');
    const problems =
      NAME.test(name) && !UUID.test(name)
        ? []
        : ['name: must be 1-100 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit, and not shaped like an id'];
    const window = { recurrence: input.recurrence, duration: input.duration, timezone: input.timezone };
    problems.push(...validateWindow(window, '').map((p) => `${p.field.replace(/^\./, '')}: ${p.message}`));
    if (problems.length > 0) throw new BadInputError(problems, { field: problems[0].split(':')[0] });
    try {
      const row = await this.db.transaction(async (em) => {
        const repo = em.getRepository(MaintenanceWindowEntity);
        const saved = await repo.save(repo.create({ name: input.name, ...window, createdBy: actor.name }));
        await this.audit.recordChange(em, {
          action: 'maintenance-window.create',
          resourceType: 'maintenance-window',
          resourceId: saved.id,
          detail: { name: saved.name, ...window },
        });
        return saved;
      });
      return toMaintenanceWindowView(row);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError(`a maintenance window named ${input.name} exists`, { field: 'name' });
      }
      throw error;
    }
  }

  async list(page: { cursor?: string; limit: number }): Promise<Page<MaintenanceWindowView>> {
    const result = await keysetPage(this.db.getRepository(MaintenanceWindowEntity).createQueryBuilder('w'), 'w', page);
    const now = new Date();
    return { items: result.items.map((row) => toMaintenanceWindowView(row, now)), nextCursor: result.nextCursor };
  }

  async get(id: string): Promise<MaintenanceWindowView> {
    return toMaintenanceWindowView(await this.mustFind(id));
  }

  /** By id or by name; for a deployment's `window: "<name>"`. */
  async resolve(reference: string, field = 'window'): Promise<MaintenanceWindowEntity> {
    const repo = this.db.getRepository(MaintenanceWindowEntity);
    const row = UUID.test(reference) ? await repo.findOneBy({ id: reference }) : await repo.findOneBy({ name: reference });
    if (!row) throw new BadInputError([`${field}: no maintenance window named or with id ${JSON.stringify(reference)}`], { field });
    return row;
  }

  /** Refused while a deployment that has not ended uses it; ended ones keep their copy of it. */
  async remove(id: string): Promise<void> {
    const window = await this.mustFind(id);
    await this.db.transaction(async (em) => {
      const active: { id: string }[] = await em.query(
        `SELECT id FROM deployments WHERE maintenance_window_id = $1 AND status = ANY($2::text[]) LIMIT 5`,
        [id, ACTIVE_DEPLOYMENT_STATUSES],
      );
      if (active.length > 0) {
        throw new ConflictError(`maintenance window ${id} is used by deployments not yet ended: ${active.map((d) => d.id).join(', ')}`, {
          deployments: active.map((d) => d.id),
        });
      }
      await em.query(`UPDATE deployments SET maintenance_window_id = NULL WHERE maintenance_window_id = $1`, [id]);
      await em.query(`DELETE FROM maintenance_windows WHERE id = $1`, [id]);
      await this.audit.recordChange(em, {
        action: 'maintenance-window.delete',
        resourceType: 'maintenance-window',
        resourceId: id,
        detail: { name: window.name },
      });
    });
  }

  private async mustFind(id: string): Promise<MaintenanceWindowEntity> {
    const row = await this.db.getRepository(MaintenanceWindowEntity).findOneBy({ id });
    if (!row) throw new NotFoundError('maintenance window', id);
    return row;
  }
}
