// `node dist/test/fleet/fleet-cli.js up [N] [--subnet 127.60] [--port 2222]`
//                                    `down [--subnet 127.60] [--remove-files]`
//                                    `status [--subnet 127.60] [--json]`
// sshd processes started by `up` keep running after this command exits.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { defaultFleetDir, DEFAULT_SUBNET, SshFleet } from './fleet';

const USAGE = `usage: fleet-cli up [N] [--subnet 127.60] [--port 2222] [--user vzfleet] [--base-dir DIR]
       fleet-cli down [--subnet 127.60] [--base-dir DIR] [--remove-files]
       fleet-cli status [--subnet 127.60] [--base-dir DIR] [--json]`;

interface Args {
  command: string;
  count: number;
  subnet: string;
  port?: number;
  user?: string;
  baseDir?: string;
  removeFiles: boolean;
  json: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: argv[0] ?? '',
    count: 10,
    subnet: DEFAULT_SUBNET,
    removeFiles: false,
    json: false,
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
  if (!['up', 'down', 'status'].includes(args.command))
    throw new UsageError(`unknown command "${args.command}"`);
  return args;
}

function existingFleet(args: Args): SshFleet | undefined {
  const baseDir = args.baseDir ?? defaultFleetDir(args.subnet);
  return existsSync(path.join(baseDir, 'fleet.json')) ? SshFleet.load(baseDir) : undefined;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
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
      console.log(
        `fleet ${fleet.subnet}: stopped ${running} sshd${args.removeFiles ? ', files removed' : ''}`,
      );
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
        console.log(
          `fleet ${fleet.subnet}: ${running}/${hosts.length} sshd running (base dir ${fleet.baseDir})`,
        );
        for (const h of hosts)
          console.log(
            `  ${h.name}  ${h.address}:${fleet.port}  ${h.running ? `pid ${h.pid}` : 'down'}`,
          );
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
