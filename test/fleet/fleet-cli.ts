// `node dist/test/fleet/fleet-cli.js up [N] [--subnet 127.60] [--port 2222]`
//                                    `down [--subnet 127.60] [--remove-files]`
//                                    `status [--subnet 127.60] [--json]`
// sshd processes started by `up` keep running after this command exits.
// `--debian`: real Debian 12 hosts (debian-fleet.ts) instead of bare sshd;
// `up N --debian [--subnet 127.92]`, `down --debian`, `status --debian`.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DEBIAN_SUBNET, DebianFleet } from './debian-fleet';
import { defaultFleetDir, DEFAULT_SUBNET, SshFleet } from './fleet';

const USAGE = `usage: fleet-cli up [N] [--subnet 127.60] [--port 2222] [--user vzfleet] [--base-dir DIR]
       fleet-cli down [--subnet 127.60] [--base-dir DIR] [--remove-files]
       fleet-cli status [--subnet 127.60] [--base-dir DIR] [--json]
       fleet-cli up [N] --debian [--subnet 127.92]    real Debian 12 hosts (needs root, builds the cached base)
       fleet-cli down --debian [--subnet 127.92]
       fleet-cli status --debian [--subnet 127.92] [--json]`;

interface Args {
  command: string;
  count: number;
  subnet: string;
  port?: number;
  user?: string;
  baseDir?: string;
  removeFiles: boolean;
  json: boolean;
  debian: boolean;
  subnetGiven: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: argv[0] ?? '',
    count: 10,
    subnet: DEFAULT_SUBNET,
    removeFiles: false,
    json: false,
    debian: false,
    subnetGiven: false,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--subnet':
        args.subnet = value(i++, arg);
        args.subnetGiven = true;
        break;
      case '--debian':
        args.debian = true;
        break;
      case '--port':
        args.port = Number(value(i++, arg));
        break;
      case '--user':
        args.user = value(i++, arg);
        break;
      case '--base-dir':
        args.baseDir = path.resolve(value(i++, arg));
        break;
      case '--remove-files':
        args.removeFiles = true;
        break;
      case '--json':
        args.json = true;
        break;
      default:
        if (/^\d+$/.test(arg) && args.command === 'up') args.count = Number(arg);
        else throw new UsageError(`unexpected argument "${arg}"`);
    }
  }
  if (!['up', 'down', 'status'].includes(args.command)) throw new UsageError(`unknown command "${args.command}"`);
  if (args.debian && !args.subnetGiven) args.subnet = DEFAULT_DEBIAN_SUBNET;
  return args;
}

function existingFleet(args: Args): SshFleet | undefined {
  const baseDir = args.baseDir ?? defaultFleetDir(args.subnet);
  return existsSync(path.join(baseDir, 'fleet.json')) ? SshFleet.load(baseDir) : undefined;
}

async function debianMain(args: Args): Promise<number> {
  switch (args.command) {
    case 'up': {
      const started = Date.now();
      const fleet = new DebianFleet({ subnet: args.subnet, log: (line) => console.log(line) });
      const hosts = await fleet.start(args.count);
      console.log(
        `debian fleet ${fleet.subnet}: ${hosts.length} hosts up in ${Date.now() - started} ms ` +
          `(${hosts[0].address} … ${hosts[hosts.length - 1].address}, ssh :2222, nginx :80; ` +
          `users ${fleet.users.nopasswd.username} (sudo NOPASSWD) and ${fleet.users.password.username})`,
      );
      console.log(`openssl versions in the repository: ${fleet.repo.multi.versions.join(', ')}`);
      console.log(`nginx-light versions: ${fleet.repo.service.versions.join(', ')}`);
      console.log(`description: ${path.join(fleet.fleetDir, 'fleet.json')}`);
      console.log(`client key:  ${fleet.privateKeyPath}`);
      return 0;
    }
    case 'down': {
      const fleet = new DebianFleet({ subnet: args.subnet });
      await fleet.stop();
      console.log(`debian fleet ${fleet.subnet}: stopped`);
      return 0;
    }
    case 'status': {
      const fleet = await DebianFleet.load(args.subnet).catch(() => undefined);
      const hosts = fleet ? fleet.status() : [];
      if (args.json) console.log(JSON.stringify({ subnet: args.subnet, hosts }, null, 2));
      else {
        console.log(`debian fleet ${args.subnet}: ${hosts.filter((h) => h.running).length}/${hosts.length} hosts running`);
        for (const h of hosts) console.log(`  ${h.name}  ${h.address}  ${h.running ? `init pid ${h.initPid}` : 'down'}`);
      }
      return hosts.length > 0 && hosts.every((h) => h.running) ? 0 : 1;
    }
  }
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.debian) return debianMain(args);
  switch (args.command) {
    case 'up': {
      const fleet = new SshFleet({
        subnet: args.subnet,
        port: args.port,
        username: args.user,
        baseDir: args.baseDir,
      });
      const started = Date.now();
      const description = await fleet.start(args.count);
      const first = description.hosts[0];
      const last = description.hosts[description.hosts.length - 1];
      console.log(
        `fleet ${description.subnet}: ${description.hosts.length} sshd up in ${Date.now() - started} ms ` +
          `(${first.address} … ${last.address}, port ${description.port}, user ${description.username})`,
      );
      console.log(`description: ${path.join(description.baseDir, 'fleet.json')}`);
      console.log(`client key:  ${description.privateKeyPath}`);
      return 0;
    }
    case 'down': {
      const fleet = existingFleet(args);
      if (!fleet) {
        console.log(`fleet ${args.subnet}: nothing recorded, nothing to stop`);
        return 0;
      }
      const running = (await fleet.status()).filter((h) => h.running).length;
      await fleet.stop({ removeFiles: args.removeFiles });
      console.log(`fleet ${fleet.subnet}: stopped ${running} sshd${args.removeFiles ? ', files removed' : ''}`);
      return 0;
    }
    case 'status': {
      const fleet = existingFleet(args);
      const hosts = fleet ? await fleet.status() : [];
      if (args.json) {
        console.log(JSON.stringify({ subnet: args.subnet, hosts }, null, 2));
      } else if (!fleet) {
        console.log(`fleet ${args.subnet}: not started`);
      } else {
        const running = hosts.filter((h) => h.running).length;
        console.log(`fleet ${fleet.subnet}: ${running}/${hosts.length} sshd running (base dir ${fleet.baseDir})`);
        for (const h of hosts) console.log(`  ${h.name}  ${h.address}:${fleet.port}  ${h.running ? `pid ${h.pid}` : 'down'}`);
      }
      return hosts.length > 0 && hosts.every((h) => h.running) ? 0 : 1;
    }
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
