// The last block runs the generated commands in a real sh against fake
// dpkg-query/apt-get binaries; the core itself stays pure.
 
import { spawnSync } from 'node:child_process';
 
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generatePackageCommands,
  InvalidPackageSpecError,
  validatePackageSpec,
} from './package-patch';
import { renderCommand, validatePatchPlaceholders } from './placeholders';

const openssl = { manager: 'apt' as const, name: 'openssl', version: '3.0.15-1~deb12u1' };

describe('generatePackageCommands', () => {
  const commands = generatePackageCommands(openssl);

  it('captures the installed version, printing nothing when the package is not installed', () => {
    expect(commands.capture).toEqual({
      previousVersion: `dpkg-query -W -f='\${Status} \${Version}\\n' 'openssl' 2>/dev/null | awk '$3=="installed"{print $4; exit}'`,
    });
  });

  it('installs exactly the requested version, quoted', () => {
    expect(commands.apply).toEqual([
      `DEBIAN_FRONTEND=noninteractive apt-get install -y 'openssl'='3.0.15-1~deb12u1'`,
    ]);
  });

  it('rolls back by removing a package that was absent, or downgrading to the captured version', () => {
    expect(commands.rollback).toEqual([
      `if [ -z {{previousVersion}} ]; then DEBIAN_FRONTEND=noninteractive apt-get remove -y 'openssl'; ` +
        `else DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades 'openssl'={{previousVersion}}; fi`,
    ]);
  });

  it('uses only placeholders its capture provides', () => {
    expect(validatePatchPlaceholders(commands.capture, commands.rollback)).toEqual([]);
  });

  it('verifies the installed version with a whole-line fixed-string match', () => {
    expect(commands.verify).toBe(
      `${commands.capture.previousVersion} | grep -qxF '3.0.15-1~deb12u1'`,
    );
  });

  it('refuses an invalid spec with every problem listed', () => {
    const generate = () =>
      generatePackageCommands({ manager: 'apt', name: 'Open SSL', version: "1'; id; '" });
    expect(generate).toThrow(InvalidPackageSpecError);
    try {
      generate();
    } catch (error) {
      expect((error as InvalidPackageSpecError).problems.map((p) => p.field)).toEqual([
        'package.name',
        'package.version',
      ]);
    }
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

  it.each<[string, Record<string, unknown>, string]>([
    ['an upper-case name', { name: 'OpenSSL' }, 'package.name'],
    ['a one-character name', { name: 'a' }, 'package.name'],
    ['a name starting with a hyphen', { name: '-rf' }, 'package.name'],
    ['a name with a space', { name: 'open ssl' }, 'package.name'],
    ['an architecture-qualified name', { name: 'libssl3:amd64' }, 'package.name'],
    [
      'a version with shell in it',
      { version: "1.0'; touch /tmp/pwned; echo '" },
      'package.version',
    ],
    ['a version with command substitution', { version: '1.$(id)' }, 'package.version'],
    ['an empty version', { version: '' }, 'package.version'],
    ['a version not starting with a digit', { version: 'v1.2' }, 'package.version'],
    ['a version ending with a hyphen', { version: '1.2-' }, 'package.version'],
    ['a non-numeric epoch', { version: 'a:1.2' }, 'package.version'],
    ['a version with a newline', { version: '1.2\n' }, 'package.version'],
    ['a number instead of a string', { version: 12 }, 'package.version'],
    ['another manager', { manager: 'yum' }, 'package.manager'],
  ])('rejects %s', (_name, override, field) => {
    expect(validatePackageSpec({ ...openssl, ...override })).toEqual([
      { field, message: expect.any(String) },
    ]);
  });
});

describe('generated commands in a real shell', () => {
  let dir: string;
  const commands = generatePackageCommands(openssl);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vz-apt-'));
    // Fake dpkg-query: prints $FAKE_DPKG (as dpkg-query would with the -f
    // format) or fails like it does for an unknown package.
    writeFileSync(
      join(dir, 'dpkg-query'),
      '#!/bin/sh\n[ -n "$FAKE_DPKG" ] || { echo "no packages found" >&2; exit 1; }\nprintf "%b" "$FAKE_DPKG"\n',
    );
    writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\necho "$*" >> '${dir}/apt.log'\n`);
    chmodSync(join(dir, 'dpkg-query'), 0o755);
    chmodSync(join(dir, 'apt-get'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function sh(command: string, fakeDpkg: string) {
    const result = spawnSync('/bin/sh', ['-c', command], {
      env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_DPKG: fakeDpkg },
      encoding: 'utf8',
    });
    let aptLog = '';
    try {
      aptLog = readFileSync(join(dir, 'apt.log'), 'utf8');
    } catch {
      aptLog = '';
    }
    return { status: result.status, stdout: result.stdout, aptLog };
  }

  it.each([
    ['an installed package', 'install ok installed 3.0.11-1~deb12u2\\n', '3.0.11-1~deb12u2'],
    ['a held package', 'hold ok installed 3.0.11-1\\n', '3.0.11-1'],
    ['a package never installed', '', ''],
    ['a removed package with config files left', 'deinstall ok config-files 3.0.11-1\\n', ''],
    [
      'a package installed for two architectures',
      'install ok installed 1.2\\ninstall ok installed 1.2\\n',
      '1.2',
    ],
  ])('captures the previous version of %s and exits 0', (_name, fakeDpkg, expected) => {
    const result = sh(commands.capture.previousVersion, fakeDpkg);
    expect(result).toMatchObject({ status: 0, stdout: expected ? `${expected}\n` : '' });
  });

  it('downgrades to the captured version on rollback', () => {
    const rollback = renderCommand(commands.rollback[0], { previousVersion: '3.0.11-1~deb12u2' });
    expect(sh(rollback, '').aptLog).toBe(
      'install -y --allow-downgrades openssl=3.0.11-1~deb12u2\n',
    );
  });

  it('removes the package on rollback when none was installed before', () => {
    const rollback = renderCommand(commands.rollback[0], { previousVersion: '' });
    expect(sh(rollback, '').aptLog).toBe('remove -y openssl\n');
  });

  it.each([
    ['passes when the target version is installed', 'install ok installed 3.0.15-1~deb12u1\\n', 0],
    ['fails when another version is installed', 'install ok installed 3.0.11-1\\n', 1],
    [
      'fails when only a longer version matches as a substring',
      'install ok installed 3.0.15-1~deb12u10\\n',
      1,
    ],
    ['fails once the package has been removed', 'deinstall ok config-files 3.0.15-1~deb12u1\\n', 1],
    ['fails when the package is unknown', '', 1],
  ])('verify %s', (_name, fakeDpkg, status) => {
    expect(sh(commands.verify, fakeDpkg).status).toBe(status);
  });
});
