// What a patch must look like (docs/api.md#patches), checked field by field so that a 400
// names every bad field in one answer (`healthChecks[1].port`, `capture.bad-key`).
// The same rules back the HTTP route and any service caller (e.g. a patch
// generated for a finding), so the DTO only guards the top-level shape.
import type { FieldProblem } from './field-problem';
import { commandProblem, integerProblem, isGiven, isPlainObject, placeholderProblem, type Plain, ProblemList } from './field-checks';
import { checkHealthCheck, type HealthCheck, normalizeHealthCheck } from './health-check';
import { AptPackage, DEFAULT_ROLLBACK_ARTIFACT_DAYS, generatePackageCommands, validatePackageSpec } from './package-patch';
import { PATCH_LIMITS } from './patch-limits';
import { validatePatchPlaceholders } from './placeholders';

export * from './health-check';
export * from './patch-limits';

/** A validated patch with every default filled in: what is stored and deployed. */
export interface PatchDefinition {
  name: string;
  /** Commands run before `apply`; their trimmed stdout fills `{{name}}` in `rollback`. */
  capture: Record<string, string>;
  apply: string[];
  rollback: string[];
  verify: string | null;
  healthChecks: HealthCheck[];
  /** Timeout of every command of the patch. */
  timeoutSeconds: number;
  /** Set for a package patch, whose command sets were generated from it. */
  package: AptPackage | null;
  /**
   * Generated for a package patch: run after apply and after rollback, its
   * output says which processes still use replaced libraries and whether a
   * reboot is required. Absent (undefined) in patches stored before it existed.
   */
  report?: string | null;
  /**
   * Declared by the author: the change cannot be undone. Such a patch has no
   * rollback commands, is deployed only with `autoRollback: false`, cannot be
   * rolled back, and its failed hosts end `failed`, never `rolled_back`.
   */
  irreversible: boolean;
}

export const PATCH_FIELDS = [
  'name',
  'capture',
  'apply',
  'rollback',
  'verify',
  'healthChecks',
  'timeoutSeconds',
  'package',
  'irreversible',
  'report',
] as const;

/** The fields a package patch generates, so they must not be given with it. */
const GENERATED_FIELDS = ['capture', 'apply', 'rollback', 'verify', 'report'] as const;

const PACKAGE_FIELDS = ['manager', 'name', 'source', 'version', 'restart'];

const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;

/** Raised by normalizePatchDefinition for input that does not validate; lists every problem. */
export class InvalidPatchDefinitionError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = new.target.name;
  }
}

function checkCommandList(
  problems: ProblemList,
  field: string,
  value: unknown,
  bounds: { min: number; max: number },
  placeholdersAllowed: boolean,
): void {
  if (!Array.isArray(value)) {
    problems.add(field, 'must be an array of command strings');
    return;
  }
  if (value.length < bounds.min || value.length > bounds.max) {
    problems.add(field, bounds.min > 0 ? `must have ${bounds.min} to ${bounds.max} commands` : `must have at most ${bounds.max} commands`);
  }
  value.forEach((command, i) => {
    const problem = commandProblem(command);
    problems.add(`${field}[${i}]`, problem);
    if (problem === null && !placeholdersAllowed) {
      problems.add(`${field}[${i}]`, placeholderProblem(command as string, `${field} commands`));
    }
  });
}

function checkCapture(problems: ProblemList, value: unknown): void {
  if (!isPlainObject(value)) {
    problems.add('capture', 'must be an object of name → command');
    return;
  }
  const entries = Object.entries(value);
  if (entries.length > PATCH_LIMITS.captureKeys) {
    problems.add('capture', `must have at most ${PATCH_LIMITS.captureKeys} names`);
  }
  for (const [key, command] of entries) {
    const field = `capture.${key}`;
    // The name pattern itself is checked with the placeholders (validatePatchPlaceholders).
    if (key === '__proto__') problems.add(field, 'is a reserved name');
    if (key.length > PATCH_LIMITS.captureNameLength) {
      problems.add(field, `name must be at most ${PATCH_LIMITS.captureNameLength} characters`);
    }
    const problem = commandProblem(command);
    problems.add(field, problem);
    if (problem === null) problems.add(field, placeholderProblem(command as string, 'capture commands'));
  }
}

function checkPackage(problems: ProblemList, value: unknown): void {
  if (!isPlainObject(value)) {
    problems.add('package', 'must be an object {manager, name or source, version, restart?}');
    return;
  }
  for (const key of Object.keys(value)) {
    if (!PACKAGE_FIELDS.includes(key)) problems.add(`package.${key}`, 'is not a known field');
  }
  problems.items.push(...validatePackageSpec(value));
}

/**
 * Whether a deployment of the patch can be undone. A patch stored before
 * `irreversible` existed with no rollback commands counts as irreversible:
 * with nothing to run, no host may ever be called rolled back.
 */
export function isIrreversible(patch: Pick<PatchDefinition, 'rollback'> & { irreversible?: boolean }): boolean {
  return patch.irreversible === true || patch.rollback.length === 0;
}

/** Every problem of a patch input, each named by its path; empty when it is valid. */
export function validatePatchDefinition(input: unknown): FieldProblem[] {
  const problems = new ProblemList();
  if (!isPlainObject(input)) {
    problems.add('body', 'must be a JSON object');
    return problems.items;
  }
  for (const key of Object.keys(input)) {
    if (!(PATCH_FIELDS as readonly string[]).includes(key)) problems.add(key, 'is not a known field');
  }
  // A patch view sent back as input carries it; only a package patch has one, generated.
  if (isGiven(input.report) && !isGiven(input.package)) {
    problems.add('report', 'is generated for package patches only and cannot be given');
  }

  const name = input.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > PATCH_LIMITS.nameLength || CONTROL_CHARACTERS.test(name)) {
    problems.add('name', `must be a string of 1 to ${PATCH_LIMITS.nameLength} characters, without control characters`);
  }

  if (isGiven(input.package)) {
    checkPackage(problems, input.package);
    if (isGiven(input.irreversible) && input.irreversible !== false) {
      problems.add('irreversible', 'must not be given with package: a package patch is always reversible');
    }
    for (const field of GENERATED_FIELDS) {
      if (isGiven(input[field])) {
        problems.add(field, 'must not be given with package: the package patch generates it');
      }
    }
  } else {
    if (isGiven(input.capture)) checkCapture(problems, input.capture);
    if (!isGiven(input.apply)) {
      problems.add('apply', 'is required (or give package to have the commands generated)');
    } else {
      checkCommandList(problems, 'apply', input.apply, { min: 1, max: PATCH_LIMITS.applyCommands }, false);
    }
    if (isGiven(input.irreversible) && typeof input.irreversible !== 'boolean') {
      problems.add('irreversible', 'must be true or false');
    }
    const irreversible = input.irreversible === true;
    if (irreversible) {
      if (isGiven(input.rollback) && !(Array.isArray(input.rollback) && input.rollback.length === 0)) {
        problems.add('rollback', 'must be empty or left out when irreversible is true: the patch says it cannot be undone');
      }
    } else if (!isGiven(input.rollback) || (Array.isArray(input.rollback) && input.rollback.length === 0)) {
      problems.add(
        'rollback',
        'is required: give at least one command that undoes apply, or say "irreversible": true (such a patch cannot be rolled back and is deployed only with autoRollback false)',
      );
    } else {
      checkCommandList(problems, 'rollback', input.rollback, { min: 1, max: PATCH_LIMITS.rollbackCommands }, true);
    }
    if (isGiven(input.verify)) {
      const problem = commandProblem(input.verify);
      problems.add('verify', problem);
      if (problem === null) problems.add('verify', placeholderProblem(input.verify as string, 'verify'));
    }
    problems.items.push(...placeholderProblems(input.capture, input.rollback));
  }

  if (isGiven(input.healthChecks)) {
    if (!Array.isArray(input.healthChecks)) {
      problems.add('healthChecks', 'must be an array');
    } else {
      if (input.healthChecks.length > PATCH_LIMITS.healthChecks) {
        problems.add('healthChecks', `must have at most ${PATCH_LIMITS.healthChecks} checks`);
      }
      input.healthChecks.forEach((check, i) => checkHealthCheck(problems, `healthChecks[${i}]`, check));
    }
  }

  if (isGiven(input.timeoutSeconds)) {
    const { min, max } = PATCH_LIMITS.timeoutSeconds;
    problems.add('timeoutSeconds', integerProblem(input.timeoutSeconds, min, max));
  }
  return problems.items;
}

/**
 * Placeholders of rollback against capture names, on whatever parts are
 * well-typed (the type problems are reported elsewhere). Capture names that no
 * rollback command uses are fine: a value captured only to be recorded with
 * the host's deployment is legitimate.
 */
function placeholderProblems(capture: unknown, rollback: unknown): FieldProblem[] {
  const captured = isPlainObject(capture) ? capture : {};
  const captureForCheck = Object.fromEntries(Object.keys(captured).map((key) => [key, '']));
  // Non-strings become '' so the indices of `rollback[i]` stay right.
  const commands = Array.isArray(rollback) ? rollback.map((c) => (typeof c === 'string' ? c : '')) : [];
  return validatePatchPlaceholders(captureForCheck, commands);
}

/**
 * The stored form of a patch input: defaults filled in, and for a package
 * patch the generated capture/apply/rollback/verify. Throws
 * InvalidPatchDefinitionError (with every problem) for invalid input.
 */
export function normalizePatchDefinition(input: unknown, options: { artifactDays?: number } = {}): PatchDefinition {
  const problems = validatePatchDefinition(input);
  if (problems.length > 0) throw new InvalidPatchDefinitionError(problems);
  const patch = input as Plain;

  const healthChecks = ((patch.healthChecks as Plain[] | undefined) ?? []).map(normalizeHealthCheck);
  const timeoutSeconds = (patch.timeoutSeconds as number | undefined) ?? PATCH_LIMITS.timeoutSeconds.default;

  if (isGiven(patch.package)) {
    const spec = patch.package as AptPackage;
    // Only the known fields, in one order: what is stored is what was validated.
    const aptPackage: AptPackage = {
      manager: 'apt',
      ...(isGiven(spec.source) ? { source: spec.source as string } : { name: spec.name as string }),
      version: spec.version,
      ...(isGiven(spec.restart) && (spec.restart as string[]).length > 0 ? { restart: [...(spec.restart as string[])] } : {}),
    };
    const commands = generatePackageCommands(aptPackage, {
      timeoutSeconds,
      artifactDays: options.artifactDays ?? DEFAULT_ROLLBACK_ARTIFACT_DAYS,
    });
    return {
      name: patch.name as string,
      capture: commands.capture,
      apply: commands.apply,
      rollback: commands.rollback,
      verify: commands.verify,
      report: commands.report,
      healthChecks,
      timeoutSeconds,
      package: aptPackage,
      irreversible: false,
    };
  }
  return {
    name: patch.name as string,
    // fromEntries defines own properties, so no key can reach a prototype.
    capture: Object.fromEntries(Object.entries((patch.capture as Record<string, string> | undefined) ?? {})),
    apply: [...(patch.apply as string[])],
    rollback: [...((patch.rollback as string[] | undefined) ?? [])],
    verify: (patch.verify as string | null | undefined) ?? null,
    healthChecks,
    timeoutSeconds,
    package: null,
    report: null,
    irreversible: patch.irreversible === true,
  };
}
