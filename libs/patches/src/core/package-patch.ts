import type { FieldProblem } from './field-problem';
import {
  aptApplyScript,
  aptCaptureScript,
  aptRollbackTemplates,
  aptVerifyScript,
  RESTART_REPORT_SCRIPT,
  type AptScriptParams,
} from './apt-scripts';

/**
 * An apt package patch: one binary package (`name`) or every installed binary
 * of a source package (`source`, what a Debian advisory names) at `version`,
 * and the services to restart after apply and after rollback.
 */
export interface AptPackage {
  manager: 'apt';
  name?: string;
  source?: string;
  version: string;
  restart?: string[];
}

/** The command sets of a patch (docs/api.md#patches), as stored on the patch. */
export interface PatchCommands {
  capture: Record<string, string>;
  apply: string[];
  rollback: string[];
  verify: string;
  /** Run after apply and after rollback: restarts needed, reboot required. */
  report: string;
}

export interface PackageCommandOptions {
  /** The patch's command timeout: apt waits for the dpkg lock at most this long. */
  timeoutSeconds: number;
  /** Kept packages of other deployments older than this are removed by a capture. */
  artifactDays: number;
}

export const DEFAULT_ROLLBACK_ARTIFACT_DAYS = 30;
export const MAX_RESTART_SERVICES = 20;
// A systemd unit or init script name: no path, no glob, no shell syntax.
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,99}$/;

/** Raised when a package spec cannot be turned into commands; lists every problem. */
export class InvalidPackageSpecError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = new.target.name;
  }
}

// Debian policy §5.6.1: lower case alphanumerics and + - . , at least two
// characters, starting with an alphanumeric.
const DEBIAN_PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
// Debian policy §5.6.12: [epoch:]upstream[-revision]. The epoch is digits;
// upstream is alphanumerics and . + ~ - starting with a digit (hyphens only when
// a revision follows, which the last `-` separates); the revision is
// alphanumerics and + . ~ (so the version cannot end with `-`).
const DEBIAN_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~]*(?:-[A-Za-z0-9.+~-]*[A-Za-z0-9.+~])?$/;
// Lines longer than this are a mistake, not a package (dpkg has no hard limit).
const MAX_LENGTH = 256;

export function validatePackageSpec(input: {
  manager?: unknown;
  name?: unknown;
  source?: unknown;
  version?: unknown;
  restart?: unknown;
}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.manager !== 'apt') {
    problems.push({ field: 'package.manager', message: 'must be "apt"' });
  }
  const hasName = input.name !== undefined && input.name !== null;
  const hasSource = input.source !== undefined && input.source !== null;
  if (hasName === hasSource) {
    problems.push({
      field: 'package.name',
      message: 'give exactly one of package.name (a binary package) and package.source (every installed binary of a source package)',
    });
  }
  for (const field of ['name', 'source'] as const) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.length > MAX_LENGTH || !DEBIAN_PACKAGE_NAME.test(value)) {
      problems.push({
        field: `package.${field}`,
        message:
          'must be a Debian package name: lower-case letters, digits, "+", "-" and ".", at least 2 characters, starting with a letter or digit',
      });
    }
  }
  if (typeof input.version !== 'string' || input.version.length > MAX_LENGTH || !DEBIAN_VERSION.test(input.version)) {
    problems.push({
      field: 'package.version',
      message:
        'must be a Debian version [epoch:]upstream[-revision]: upstream starts with a digit and uses letters, digits and . + ~ -; the revision uses letters, digits and . + ~',
    });
  }
  if (input.restart !== undefined && input.restart !== null) {
    if (!Array.isArray(input.restart) || input.restart.length > MAX_RESTART_SERVICES) {
      problems.push({ field: 'package.restart', message: `must be an array of at most ${MAX_RESTART_SERVICES} service names` });
    } else {
      input.restart.forEach((service: unknown, i) => {
        if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
          problems.push({
            field: `package.restart[${i}]`,
            message: 'must be a service name: letters, digits and @ . _ : -, starting with a letter or digit, at most 100 characters',
          });
        }
      });
    }
  }
  return problems;
}

/**
 * Generates the command sets of an apt package patch (apt-scripts.ts): a
 * capture that plans the change with apt and keeps every planned package's
 * installed .deb, an apply of exactly that plan, a verify of every binary of
 * the source (and of the plan), a rollback that reinstalls the kept .debs and
 * proves every planned package is back, and the restart report.
 *
 * Names, version and services are validated AND quoted: validation gives a
 * clear 400, the quoting is what makes the command safe should the rules ever
 * loosen.
 */
export function generatePackageCommands(spec: AptPackage, options: PackageCommandOptions): PatchCommands {
  const problems = validatePackageSpec(spec);
  if (problems.length > 0) throw new InvalidPackageSpecError(problems);
  const params: AptScriptParams = {
    mode: spec.source ? 'source' : 'name',
    target: (spec.source ?? spec.name) as string,
    version: spec.version,
    restart: spec.restart ?? [],
    lockTimeoutSeconds: options.timeoutSeconds,
    artifactDays: options.artifactDays,
  };
  return {
    capture: { plan: aptCaptureScript(params) },
    apply: [aptApplyScript(params)],
    rollback: aptRollbackTemplates(params),
    verify: aptVerifyScript(params),
    report: RESTART_REPORT_SCRIPT,
  };
}
