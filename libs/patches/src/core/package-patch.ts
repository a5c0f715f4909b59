import type { FieldProblem } from './field-problem';
import { quoteShellArg } from './shell-quote';

export interface AptPackage {
  manager: 'apt';
  name: string;
  version: string;
}

/** The four command sets of a patch (SPEC §3), as stored on the patch. */
export interface PatchCommands {
  capture: Record<string, string>;
  apply: string[];
  rollback: string[];
  verify: string;
}

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
  version?: unknown;
}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.manager !== 'apt') {
    problems.push({ field: 'package.manager', message: 'must be "apt"' });
  }
  if (
    typeof input.name !== 'string' ||
    input.name.length > MAX_LENGTH ||
    !DEBIAN_PACKAGE_NAME.test(input.name)
  ) {
    problems.push({
      field: 'package.name',
      message:
        'must be a Debian package name: lower-case letters, digits, "+", "-" and ".", at least 2 characters, starting with a letter or digit',
    });
  }
  if (
    typeof input.version !== 'string' ||
    input.version.length > MAX_LENGTH ||
    !DEBIAN_VERSION.test(input.version)
  ) {
    problems.push({
      field: 'package.version',
      message:
        'must be a Debian version [epoch:]upstream[-revision]: upstream starts with a digit and uses letters, digits and . + ~ -; the revision uses letters, digits and . + ~',
    });
  }
  return problems;
}

/**
 * Prints the installed version, or nothing when the package is absent or only
 * has config files left (`deinstall ok config-files` still has a Version, so
 * `${Version}` alone would claim it is installed). `exit` keeps one line when a
 * Multi-Arch: same package is installed for several architectures (their
 * versions are equal by definition). Exits 0 either way so capture succeeds on
 * hosts that never had the package.
 */
function installedVersionQuery(quotedName: string): string {
  return `dpkg-query -W -f='\${Status} \${Version}\\n' ${quotedName} 2>/dev/null | awk '$3=="installed"{print $4; exit}'`;
}

// Without it, a package that asks a debconf question waits for an answer until
// the command times out.
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get';

/**
 * Generates capture/apply/rollback/verify for an apt package patch.
 *
 * Name and version are validated AND quoted: validation gives a clear 400, the
 * quoting is what makes the command safe should the rules ever loosen.
 * `'name'='version'` concatenates into one shell word, `name=version`.
 */
export function generatePackageCommands(spec: AptPackage): PatchCommands {
  const problems = validatePackageSpec(spec);
  if (problems.length > 0) throw new InvalidPackageSpecError(problems);

  const name = quoteShellArg(spec.name);
  const version = quoteShellArg(spec.version);
  return {
    capture: { previousVersion: installedVersionQuery(name) },
    apply: [`${APT} install -y ${name}=${version}`],
    // An empty previousVersion means the patch installed the package: undoing
    // it is removing it (its new dependencies stay; removing those could take
    // away something the host needs). `{{previousVersion}}` renders quoted, so
    // `[ -z '' ]` and `name='1.2-3'` are both single words.
    rollback: [
      `if [ -z {{previousVersion}} ]; then ${APT} remove -y ${name}; ` +
        `else ${APT} install -y --allow-downgrades ${name}={{previousVersion}}; fi`,
    ],
    // Status-aware, so that after a rollback that removed the package verify
    // fails, as SPEC §3 requires to prove the change is gone.
    verify: `${installedVersionQuery(name)} | grep -qxF ${version}`,
  };
}
