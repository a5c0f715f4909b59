/**
 * Maintenance windows as a pure function of the window and the time `now`
 * (issue 14, part 3). `nextAction` asks it before starting a host; the engine
 * pauses the deployment (reason `window_closed`) and wakes it at the opening.
 *
 * Two shapes:
 * - a one-off window `{start, end, timezone}`: wall-clock times
 *   (`2026-03-29T01:00`) read in `timezone`;
 * - a recurring window `{recurrence, duration, timezone}`: a cron expression
 *   (`minute hour day-of-month month day-of-week`, with `*`, lists, ranges and
 *   steps; six fields put seconds first, as in Quartz) read in `timezone`, each
 *   opening lasting `duration` (`90m`, `2h`, `1h30m`, `45s`) of elapsed time (a
 *   2-hour window across a DST change is still 2 hours long).
 *
 * DST: an opening whose wall time does not exist (the spring gap) opens when
 * the clocks jump, at the first valid instant after it; an opening whose wall
 * time happens twice (the autumn overlap) opens at the first of the two.
 */
export interface OneOffWindow {
  start: string;
  end: string;
  timezone: string;
}

export interface RecurringWindow {
  recurrence: string;
  /** `2h`, `90m`, `1h30m`, `45s`: how long each opening lasts. */
  duration: string;
  timezone: string;
}

export type MaintenanceWindow = OneOffWindow | RecurringWindow;

export type WindowState = { open: true; closesAt: Date } | { open: false; opensAt: Date | null };

export interface WindowProblem {
  field: string;
  message: string;
}

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const MAX_DURATION_MS = 7 * 24 * 3_600_000;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `1h30m` → 5_400_000; null for anything else, zero, or more than 7 days. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m || text === '') return null;
  const [d, h, min, sec] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0));
  const ms = (((d * 24 + h) * 60 + min) * 60 + sec) * 1000;
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : null;
}
/** How far ahead a recurring window is searched for its next opening: a leap-year cycle (Feb 29). */
const SEARCH_DAYS = 4 * 366;
/** The furthest ahead a deployment may be scheduled (`notBefore`, a one-off window's start): its hosts stay claimed meanwhile. */
export const MAX_SCHEDULE_AHEAD_DAYS = 366;
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 instant with its offset (`2026-12-01T22:00:00Z`,
 * `…T23:00+01:00`), or null: no offset (ambiguous), or a date or time that
 * does not exist (Feb 30, 24:00), which `Date.parse` would quietly roll over.
 */
export function parseInstant(text: string): Date | null {
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const wall = parseWallTime(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`);
  if (!wall) return null;
  const fraction = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const offsetMinutes = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (Number(m[10]) > 23 || Number(m[11]) > 59) return null;
  return new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, fraction) - offsetMinutes * 60_000);
}

export function isKnownTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every problem with a window, each named by its path (`window.end`). */
export function validateWindow(input: unknown, field = 'window'): WindowProblem[] {
  const problems: WindowProblem[] = [];
  const report = (at: string, message: string) => problems.push({ field: `${field}${at}`, message });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    report('', 'must be an object: {start, end, timezone} or {recurrence, duration, timezone}');
    return problems;
  }
  const w = input as Record<string, unknown>;
  if (!isKnownTimeZone(w.timezone))
    report('.timezone', `unknown time zone ${JSON.stringify(w.timezone)} (an IANA name such as Europe/Berlin)`);
  if ('recurrence' in w) {
    for (const key of Object.keys(w))
      if (!['recurrence', 'duration', 'timezone'].includes(key)) report(`.${key}`, 'is not a field of a recurring window');
    const cron = typeof w.recurrence === 'string' ? parseCron(w.recurrence) : null;
    if (!cron)
      report('.recurrence', 'must be a cron expression: minute hour day-of-month month day-of-week (a sixth, leading field is seconds)');
    else if (!matchesSomeDate(cron)) report('.recurrence', 'never matches a date (e.g. 31 February)');
    if (typeof w.duration !== 'string' || parseDuration(w.duration) === null) {
      report('.duration', 'must be a duration such as 90m, 2h, 1h30m or 45s, more than 0 and at most 7d');
    }
    return problems;
  }
  for (const key of Object.keys(w)) if (!['start', 'end', 'timezone'].includes(key)) report(`.${key}`, 'is not a field of a window');
  const start = typeof w.start === 'string' ? parseWallTime(w.start) : null;
  const end = typeof w.end === 'string' ? parseWallTime(w.end) : null;
  if (!start) report('.start', 'must be a wall-clock time YYYY-MM-DDTHH:mm[:ss]');
  if (!end) report('.end', 'must be a wall-clock time YYYY-MM-DDTHH:mm[:ss]');
  if (start && end && problems.length === 0) {
    const zone = w.timezone as string;
    if (zonedToUtc(end, zone) <= zonedToUtc(start, zone)) report('.end', 'must be after window.start');
  }
  return problems;
}

/** Whether the window is open at `now`, and when it closes or next opens (null: never again). */
export function windowStateAt(window: MaintenanceWindow, now: Date): WindowState {
  if ('recurrence' in window) return recurringStateAt(window, now);
  const start = new Date(zonedToUtc(parseWallTime(window.start) as WallTime, window.timezone));
  const end = new Date(zonedToUtc(parseWallTime(window.end) as WallTime, window.timezone));
  if (now < start) return { open: false, opensAt: start };
  if (now < end) return { open: true, closesAt: end };
  return { open: false, opensAt: null };
}

function recurringStateAt(window: RecurringWindow, now: Date): WindowState {
  const cron = parseCron(window.recurrence);
  if (!cron) throw new RangeError(`invalid recurrence ${window.recurrence}`);
  const durationMs = parseDuration(window.duration);
  if (durationMs === null) throw new RangeError(`invalid duration ${window.duration}`);
  const t = now.getTime();
  const today = localDate(t, window.timezone);
  const todayUtc = Date.UTC(today.year, today.month - 1, today.day);
  // Every opening lasts as long: only the latest one at or before now can be open.
  // Search back, day by day, as far as an opening could still be open.
  for (let day = todayUtc + DAY_MS; day >= todayUtc - durationMs - DAY_MS; day -= DAY_MS) {
    const latest = firstOf(openingsOf(cron, day, window.timezone, 'latest first'), (opens) => opens <= t);
    if (latest === undefined) continue;
    if (t < latest + durationMs) return { open: true, closesAt: new Date(latest + durationMs) };
    break;
  }
  for (let day = todayUtc - DAY_MS; day <= todayUtc + SEARCH_DAYS * DAY_MS; day += DAY_MS) {
    const next = firstOf(openingsOf(cron, day, window.timezone, 'earliest first'), (opens) => opens > t);
    if (next !== undefined) return { open: false, opensAt: new Date(next) };
  }
  return { open: false, opensAt: null };
}

const DAY_MS = 86_400_000;

function firstOf(values: Iterable<number>, fits: (value: number) => boolean): number | undefined {
  for (const value of values) if (fits(value)) return value;
  return undefined;
}

/**
 * The instants a cron expression opens on one local day (`day`: that date at
 * 00:00 UTC), in order. Generated lazily, so a search stops at the first fit.
 */
function* openingsOf(cron: Cron, day: number, zone: string, order: 'earliest first' | 'latest first'): Generator<number> {
  const date = new Date(day);
  const [y, m, d, dow] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay()];
  if (!cron.months.has(m) || !dayMatches(cron, d, dow)) return;
  // Most days have one offset from start to end (no DST change): then a wall
  // time is that offset away, with no time-zone look-up per opening.
  const offsetBefore = offsetAt(day - 14 * 3_600_000, zone);
  const steadyOffset = offsetBefore === offsetAt(day + 38 * 3_600_000, zone) ? offsetBefore : undefined;
  const ordered = (values: number[]) => (order === 'earliest first' ? values : [...values].reverse());
  for (const hour of ordered(cron.hours)) {
    for (const minute of ordered(cron.minutes)) {
      // Clocks change on whole minutes: the seconds of an opening add to its minute's instant.
      const minuteStart =
        steadyOffset !== undefined
          ? Date.UTC(y, m - 1, d, hour, minute) - steadyOffset
          : zonedToUtc({ year: y, month: m, day: d, hour, minute, second: 0 }, zone);
      for (const second of ordered(cron.seconds)) yield minuteStart + second * 1000;
    }
  }
}

/** When a deployment may start hosts: `notBefore` (epoch ms) and its window, if any. */
export interface DeploymentSchedule {
  notBefore?: number;
  window?: MaintenanceWindow;
}

/** Why no host may start now: `notBefore` is ahead, or the window is closed. */
export type ScheduleHold = 'not_before' | 'window_closed';

export type StartGate =
  | { open: true }
  /** `until`: when to ask again; null when the window never opens again. */
  | { open: false; reason: ScheduleHold; until: number | null };

/** A deployment's schedule as the planner reads it, from its recorded `notBefore` and window. */
export function scheduleOf(recorded: { notBefore: Date | null; window: MaintenanceWindow | null }): DeploymentSchedule {
  return {
    ...(recorded.notBefore ? { notBefore: recorded.notBefore.getTime() } : {}),
    ...(recorded.window ? { window: recorded.window } : {}),
  };
}

/** Whether a host may start at `now`; if not, why and until when. */
export function startGate(schedule: DeploymentSchedule, now: number): StartGate {
  if (schedule.notBefore !== undefined && now < schedule.notBefore) {
    // Wake when hosts can really start: at notBefore, or the window's first opening after it.
    if (!schedule.window) return { open: false, reason: 'not_before', until: schedule.notBefore };
    const then = windowStateAt(schedule.window, new Date(schedule.notBefore));
    return { open: false, reason: 'not_before', until: then.open ? schedule.notBefore : (then.opensAt?.getTime() ?? null) };
  }
  if (!schedule.window) return { open: true };
  const state = windowStateAt(schedule.window, new Date(now));
  if (state.open) return { open: true };
  return { open: false, reason: 'window_closed', until: state.opensAt?.getTime() ?? null };
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function parseWallTime(text: string): WallTime | null {
  const m = WALL_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

function localDate(utcMs: number, zone: string): WallTime {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(utcMs))
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

function offsetAt(utcMs: number, zone: string): number {
  const l = localDate(utcMs, zone);
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant of a wall time in a zone; see the module comment for gaps and overlaps. */
function zonedToUtc(wall: WallTime, zone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // The zone's offsets a few hours either side cover any DST change at this wall time.
  const before = offsetAt(asUtc - 12 * 3_600_000, zone);
  const after = offsetAt(asUtc + 12 * 3_600_000, zone);
  const candidates = [...new Set([before, after])]
    .map((offset) => asUtc - offset)
    .filter((utc) => offsetAt(utc, zone) === asUtc - utc)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];
  // In the spring gap: open when the clocks jump, the first instant on the new offset.
  let low = asUtc - after;
  let high = asUtc - before;
  while (high - low > 1000) {
    const mid = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetAt(mid, zone) === after) high = mid;
    else low = mid;
  }
  return high;
}

interface Cron {
  seconds: number[];
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  anyDay: boolean;
  anyWeekday: boolean;
}

/** Five fields (minute hour day month weekday), or six with seconds first. */
export function parseCron(expression: string): Cron | null {
  const all = expression.trim().split(/\s+/);
  if (all.length !== 5 && all.length !== 6) return null;
  const seconds = all.length === 6 ? parseField(all[0], 0, 59) : [0];
  const fields = all.length === 6 ? all.slice(1) : all;
  const minutes = parseField(fields[0], 0, 59);
  const hours = parseField(fields[1], 0, 23);
  const days = parseField(fields[2], 1, 31);
  const months = parseField(fields[3], 1, 12);
  const weekdays = parseField(fields[4], 0, 7);
  if (!seconds || !minutes || !hours || !days || !months || !weekdays) return null;
  return {
    seconds,
    minutes,
    hours,
    days: new Set(days),
    months: new Set(months),
    weekdays: new Set(weekdays.map((d) => d % 7)),
    anyDay: fields[2] === '*',
    anyWeekday: fields[4] === '*',
  };
}

/** Some date in a leap-year cycle fits the month and day fields (`0 0 31 2 *` never does). */
function matchesSomeDate(cron: Cron): boolean {
  for (let day = Date.UTC(2024, 0, 1), i = 0; i < 4 * 366; i += 1, day += DAY_MS) {
    const date = new Date(day);
    if (cron.months.has(date.getUTCMonth() + 1) && dayMatches(cron, date.getUTCDate(), date.getUTCDay())) return true;
  }
  return false;
}

/** Cron's rule: when both day fields are restricted, either may match. */
function dayMatches(cron: Cron, day: number, weekday: number): boolean {
  if (cron.anyDay && cron.anyWeekday) return true;
  if (cron.anyDay) return cron.weekdays.has(weekday);
  if (cron.anyWeekday) return cron.days.has(day);
  return cron.days.has(day) || cron.weekdays.has(weekday);
}

function parseField(field: string, min: number, max: number): number[] | null {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
    if (step < 1 || from < min || to > max || from > to) return null;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}
