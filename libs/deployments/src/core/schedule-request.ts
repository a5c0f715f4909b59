import {
  MAX_SCHEDULE_AHEAD_DAYS,
  MaintenanceWindow,
  parseInstant,
  RecurringWindow,
  ScheduleHold,
  scheduleOf,
  startGate,
  StartGate,
  validateWindow,
  windowStateAt,
} from './maintenance-window';

/** A deployment's schedule as recorded: the window (a copy of a named one) and `notBefore`. */
export interface ResolvedSchedule {
  window: MaintenanceWindow | null;
  maintenanceWindowId: string | null;
  notBefore: Date | null;
}

/** What a request asked for: `window` (inline, or the name or id of a named one) and `notBefore`. */
export interface ScheduleRequest {
  window?: unknown;
  notBefore?: unknown;
}

/** A named window the caller looked up: its copy, or why it could not be used. */
export type NamedWindowLookup = { id: string; window: RecurringWindow } | { problems: string[] };

/**
 * `window` and `notBefore` checked at `now`: every problem named by its field
 * (`notBefore: …`, `window.timezone: …`), in the order a reader fixes them.
 * `named` is the lookup of a window given by name (only when `window` is a
 * string). A deployment may wait at most MAX_SCHEDULE_AHEAD_DAYS: its hosts
 * stay claimed meanwhile.
 */
export function checkSchedule(
  input: ScheduleRequest,
  named: NamedWindowLookup | undefined,
  now: number,
): { problems: string[]; schedule: ResolvedSchedule } {
  const problems: string[] = [];
  const latest = now + MAX_SCHEDULE_AHEAD_DAYS * 86_400_000;
  let notBefore: Date | null = null;
  if (input.notBefore !== undefined && input.notBefore !== null) {
    notBefore = typeof input.notBefore === 'string' ? parseInstant(input.notBefore) : null;
    if (!notBefore) {
      problems.push(
        'notBefore: must be an existing ISO 8601 instant with its offset, e.g. 2026-12-01T22:00:00Z or 2026-12-01T23:00:00+01:00',
      );
    } else if (notBefore.getTime() > latest) {
      problems.push(`notBefore: at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead (the hosts stay claimed while the deployment waits)`);
    }
  }
  let window: MaintenanceWindow | null = null;
  let maintenanceWindowId: string | null = null;
  if (typeof input.window === 'string') {
    if (named && 'problems' in named) problems.push(...named.problems);
    else if (named) {
      window = { recurrence: named.window.recurrence, duration: named.window.duration, timezone: named.window.timezone };
      maintenanceWindowId = named.id;
    }
  } else if (input.window !== undefined && input.window !== null) {
    const windowProblems = validateWindow(input.window);
    problems.push(...windowProblems.map((p) => `${p.field}: ${p.message}`));
    if (windowProblems.length === 0) window = input.window as MaintenanceWindow;
  }
  if (window && problems.length === 0) {
    const from = Math.max(now, notBefore?.getTime() ?? 0);
    const gate = startGate(scheduleOf({ notBefore: new Date(from), window }), from);
    const state = windowStateAt(window, new Date(from));
    const opensAt = state.open ? from : (state.opensAt?.getTime() ?? null);
    if (opensAt === null) {
      problems.push(`window: never open ${notBefore ? 'after notBefore' : 'again'}: the deployment could never start`);
    } else if (opensAt > latest || (!gate.open && gate.until !== null && gate.until > latest)) {
      problems.push(`window: opens more than ${MAX_SCHEDULE_AHEAD_DAYS} days ahead (the hosts stay claimed while the deployment waits)`);
    }
  }
  return { problems, schedule: { window, maintenanceWindowId, notBefore } };
}

export interface ScheduleView {
  notBefore: string | null;
  window: MaintenanceWindow | null;
  maintenanceWindowId: string | null;
  /** Could a host start now; if not, why and when it could (null: never). */
  now: { canStart: true } | { canStart: false; reason: ScheduleHold; until: string | null };
}

/** A dry run's schedule: what was recorded, and whether a host could start at `now`. */
export function scheduleView(schedule: ResolvedSchedule, now: number): ScheduleView {
  const gate: StartGate = startGate(scheduleOf(schedule), now);
  return {
    notBefore: schedule.notBefore?.toISOString() ?? null,
    window: schedule.window,
    maintenanceWindowId: schedule.maintenanceWindowId,
    now: gate.open
      ? { canStart: true }
      : { canStart: false, reason: gate.reason, until: gate.until === null ? null : new Date(gate.until).toISOString() },
  };
}
