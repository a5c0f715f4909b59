// The scripts are proven on real Debian hosts (test/integration/apt-package-patch.int-spec.ts);
// here: their syntax under dash and bash, how the spec reaches them, and the refusals.
import { spawnSync } from 'node:child_process';
import { generatePackageCommands, InvalidPackageSpecError, validatePackageSpec } from './package-patch';
import { renderCommand, validatePatchPlaceholders } from './placeholders';

const openssl = { manager: 'apt' as const, name: 'openssl', version: '3.0.15-1~deb12u1' };

const options = { timeoutSeconds: 300, artifactDays: 30 };

function syntaxOf(script: string, shell: string): number | null {
  return spawnSync(shell, ['-n'], { input: script }).status;
}

describe('generatePackageCommands', () => {
  const bySource = generatePackageCommands({ manager: 'apt', source: 'openssl', version: '3.0.22-1~deb12u2', restart: ['nginx'] }, options);
  const byName = generatePackageCommands(openssl, options);

  it('generates a plan capture, one apply, one rollback, a verify and the restart report', () => {
    for (const commands of [bySource, byName]) {
      expect(Object.keys(commands.capture)).toEqual(['plan']);
      expect(commands.apply).toHaveLength(1);
      expect(commands.rollback).toHaveLength(2);
      expect(commands.verify).toEqual(expect.any(String));
      expect(commands.report).toEqual(expect.any(String));
    }
  });

  it.each(['/bin/dash', '/bin/bash'])('writes scripts %s parses', (shell) => {
    for (const commands of [bySource, byName]) {
      const rendered = commands.rollback.map((template) => renderCommand(template, { plan: 'dir\t/var/lib/vulnzero/deployments/x' }));
      for (const script of [commands.capture.plan as string, ...commands.apply, commands.verify, commands.report, ...rendered]) {
        expect(syntaxOf(script, shell)).toBe(0);
      }
    }
  });

  it('puts the spec into the scripts only as single-quoted assignments', () => {
    expect(bySource.apply[0]).toContain(
      `vz_mode='source'; vz_target='openssl'; vz_version='3.0.22-1~deb12u2'; vz_lock='300'; vz_days='30'; vz_restart='nginx'`,
    );
    expect(byName.verify).toContain(`vz_mode='name'; vz_target='openssl'; vz_version='3.0.15-1~deb12u1'`);
  });

  it("uses the plan only as data: a printf argument written to the deployment's directory", () => {
    expect(validatePatchPlaceholders(bySource.capture, bySource.rollback)).toEqual([]);
    const rendered = renderCommand(bySource.rollback[0] as string, { plan: "dir\t$(touch /tmp/pwned)'`id`" });
    expect(rendered).toContain(`printf '%s\\n' "\${vz_cap_plan?}" >/var/lib/vulnzero/deployments/"$VZ_DEPLOYMENT_ID"/rollback-plan`);
    expect(bySource.rollback[1]).not.toContain('{{');
  });

  it("waits for the dpkg lock as long as the patch's timeout and keeps changed configuration files", () => {
    const commands = generatePackageCommands(openssl, { timeoutSeconds: 900, artifactDays: 7 });
    expect(commands.apply[0]).toContain(`vz_lock='900'`);
    expect(commands.capture.plan).toContain(`vz_days='7'`);
    expect(commands.apply[0]).toContain('DPkg::Lock::Timeout=$vz_lock');
    expect(commands.apply[0]).toContain('--force-confold');
  });

  it('refuses an invalid spec with every problem listed', () => {
    const generate = () => generatePackageCommands({ manager: 'apt', name: 'Open SSL', version: "1'; id; '" }, options);
    expect(generate).toThrow(InvalidPackageSpecError);
    try {
      generate();
    } catch (error) {
      expect((error as InvalidPackageSpecError).problems.map((p) => p.field)).toEqual(['package.name', 'package.version']);
    }
  });
});

describe('generated scripts in a real shell, outside a deployment or without root', () => {
  const commands = generatePackageCommands(openssl, options);
  const run = (script: string, env: Record<string, string>) =>
    spawnSync('/bin/sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });

  it('refuses to capture without a deployment id', () => {
    if (process.getuid?.() !== 0) return;
    const result = run(commands.capture.plan as string, {});
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('VZ_DEPLOYMENT_ID is not set');
  });

  it('refuses a deployment id that is not a uuid', () => {
    if (process.getuid?.() !== 0) return;
    const result = run(commands.apply[0] as string, { VZ_DEPLOYMENT_ID: '../../etc' });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('VZ_DEPLOYMENT_ID is not set');
  });

  it('says a package patch needs root', () => {
    const result = spawnSync('/bin/sh', ['-c', commands.capture.plan as string], {
      env: { PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('package patches run as root');
  });

  it('reports nothing on a host with no replaced library and no reboot flag', () => {
    const result = run(commands.report, {});
    expect(result.status).toBe(0);
  });
});

describe('validatePackageSpec', () => {
  it.each([
    ['a plain name and Debian revision', 'openssl', '3.0.15-1~deb12u1'],
    ['an epoch', 'libssl3', '1:3.0.15-1'],
    ['a name with + and .', 'g++-12', '12.2.0-14'],
    ['a native version without revision', 'base-files', '12.4'],
    ['hyphens in the upstream version', 'foo', '1.2-beta-3'],
    ['plus and tilde in the revision', 'nginx', '1.22.1-9+deb12u1~bpo1'],
  ])('accepts %s', (_name, name, version) => {
    expect(validatePackageSpec({ manager: 'apt', name, version })).toEqual([]);
  });

  it('accepts a source package with services to restart', () => {
    expect(
      validatePackageSpec({ manager: 'apt', source: 'openssl', version: '3.0.22-1~deb12u2', restart: ['nginx', 'ssh@1.service'] }),
    ).toEqual([]);
  });

  it('wants exactly one of name and source', () => {
    expect(validatePackageSpec({ manager: 'apt', version: '1.0' }).map((p) => p.field)).toEqual(['package.name']);
    expect(validatePackageSpec({ manager: 'apt', name: 'a1', source: 'a1', version: '1.0' }).map((p) => p.field)).toEqual(['package.name']);
  });

  it.each<[string, unknown, string]>([
    ['a restart that is not an array', 'nginx', 'package.restart'],
    ['a service with shell in it', ['nginx; id'], 'package.restart[0]'],
    ['a service path', ['../../bin/sh'], 'package.restart[0]'],
    ['a service with a glob', ['ngin*'], 'package.restart[0]'],
    ['too many services', Array.from({ length: 21 }, (_, i) => `s${i}`), 'package.restart'],
  ])('rejects %s', (_name, restart, field) => {
    expect(validatePackageSpec({ manager: 'apt', source: 'openssl', version: '1.0', restart }).map((p) => p.field)).toEqual([field]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an upper-case name', { name: 'OpenSSL' }, 'package.name'],
    ['a one-character name', { name: 'a' }, 'package.name'],
    ['a name starting with a hyphen', { name: '-rf' }, 'package.name'],
    ['a name with a space', { name: 'open ssl' }, 'package.name'],
    ['an architecture-qualified name', { name: 'libssl3:amd64' }, 'package.name'],
    ['a version with shell in it', { version: "1.0'; touch /tmp/pwned; echo '" }, 'package.version'],
    ['a version with command substitution', { version: '1.$(id)' }, 'package.version'],
    ['an empty version', { version: '' }, 'package.version'],
    ['a version not starting with a digit', { version: 'v1.2' }, 'package.version'],
    ['a version ending with a hyphen', { version: '1.2-' }, 'package.version'],
    ['a non-numeric epoch', { version: 'a:1.2' }, 'package.version'],
    ['a version with a newline', { version: '1.2\n' }, 'package.version'],
    ['a number instead of a string', { version: 12 }, 'package.version'],
    ['another manager', { manager: 'yum' }, 'package.manager'],
  ])('rejects %s', (_name, override, field) => {
    expect(validatePackageSpec({ ...openssl, ...override })).toEqual([{ field, message: expect.any(String) }]);
  });
});
