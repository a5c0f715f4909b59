// Ansible from Debian's package on the same rollout: `serial: [1, "10%",
// "50%", "100%"]`, forks 50, pipelining, ControlPersist, host keys checked
// against the fleet's known_hosts. One task per operation, with the `raw` or
// the `shell` module.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FleetHost, mapWithConcurrency } from '../test/fleet/fleet';
import { MAX_PARALLEL, OPERATIONS } from './rollout';

const execFileAsync = promisify(execFile);

export type AnsibleModule = 'raw' | 'shell';

export interface AnsibleSetup {
  dir: string;
  configFile: string;
  controlDir: string;
}

/** Writes inventory, ansible.cfg and one playbook per module under `dir`. */
export async function prepareAnsible(
  dir: string,
  hosts: FleetHost[],
  fleet: { username: string; privateKeyPath: string; knownHostsFile: string },
): Promise<AnsibleSetup> {
  await fs.mkdir(dir, { recursive: true });
  // Control sockets live in a short path: a unix socket path holds at most 107 bytes.
  const controlDir = path.join('/tmp', `vzbench-cp-${process.pid}`);
  const inventory = [
    '[fleet]',
    ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`),
    '',
    '[fleet:vars]',
    `ansible_user=${fleet.username}`,
    `ansible_ssh_private_key_file=${fleet.privateKeyPath}`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n');
  await fs.writeFile(path.join(dir, 'inventory.ini'), inventory);
  const sshArgs = [
    '-F /dev/null',
    '-o ControlMaster=auto',
    '-o ControlPersist=60s',
    '-o BatchMode=yes',
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${fleet.knownHostsFile}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o IdentitiesOnly=yes',
  ].join(' ');
  const configFile = path.join(dir, 'ansible.cfg');
  await fs.writeFile(
    configFile,
    [
      '[defaults]',
      `inventory = ${path.join(dir, 'inventory.ini')}`,
      `forks = ${MAX_PARALLEL}`,
      'host_key_checking = True',
      'gathering = explicit',
      'retry_files_enabled = False',
      'interpreter_python = /usr/bin/python3',
      'nocolor = True',
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = ${sshArgs}`,
      `control_path_dir = ${controlDir}`,
      'control_path = %(directory)s/%%C',
      '',
    ].join('\n'),
  );
  for (const module of ['raw', 'shell'] as const) {
    const play = {
      name: `rollout with ${module}`,
      hosts: 'fleet',
      gather_facts: false,
      serial: [1, '10%', '50%', '100%'],
      max_fail_percentage: 0,
      any_errors_fatal: true,
      tasks: [
        { name: 'save the old version', [`ansible.builtin.${module}`]: OPERATIONS.save },
        { name: 'write the new version', [`ansible.builtin.${module}`]: OPERATIONS.write },
        { name: 'sleep', [`ansible.builtin.${module}`]: OPERATIONS.sleep },
        { name: 'check health', [`ansible.builtin.${module}`]: OPERATIONS.health },
      ],
    };
    // JSON is YAML: no quoting surprises in the shell commands.
    await fs.writeFile(path.join(dir, `rollout-${module}.yml`), JSON.stringify([play], null, 2));
  }
  return { dir, configFile, controlDir };
}

/** Closes the ControlPersist masters, so that every round starts without a connection, like the other tools. */
async function closeMasters(controlDir: string): Promise<void> {
  if (!existsSync(controlDir)) return;
  const sockets = await fs.readdir(controlDir);
  await mapWithConcurrency(sockets, 32, (socket) =>
    execFileAsync('ssh', ['-F', '/dev/null', '-o', `ControlPath=${path.join(controlDir, socket)}`, '-O', 'exit', 'fleet']).catch(
      () => undefined,
    ),
  );
  await fs.rm(controlDir, { recursive: true, force: true });
}

/** Runs the playbook once; resolves with wall seconds. */
export async function runAnsibleRollout(setup: AnsibleSetup, module: AnsibleModule, timeoutMs = 300_000): Promise<number> {
  await closeMasters(setup.controlDir);
  await fs.mkdir(setup.controlDir, { recursive: true, mode: 0o700 });
  const started = process.hrtime.bigint();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ansible-playbook', [path.join(setup.dir, `rollout-${module}.yml`)], {
        cwd: setup.dir,
        env: { ...process.env, ANSIBLE_CONFIG: setup.configFile, ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: 'False' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-6000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`ansible-playbook (${module}) exited ${code ?? signal}:\n${output.trim()}`));
      });
    });
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await closeMasters(setup.controlDir);
  }
}
