// `npm run chaos`: canary deployments on a 30-host sshd fleet while the worker
// is SIGKILLed at random moments, Redis is restarted once and PostgreSQL once.
// After each trial every deployment must have ended in a terminal status and
// every host's real state (its files) must match its record.
import { randomInt } from 'node:crypto';
import { runMigrations } from '../../libs/database/src/migrator';
import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { startPrivatePostgres, startPrivateRedis } from '../harness/private-services';
import { SshFleet } from '../fleet/fleet';
import { breakHealthOn, filePatch } from '../harness/file-patch';

const TRIALS = Number(process.argv[2] ?? 10);
const HOSTS = 30;
const LOCK = '3';

function patchDefinition(name: string, breakHost?: string) {
  return filePatch(name, {
    extraApply: [...(breakHost ? [breakHealthOn(breakHost)] : []), 'sleep 0.3'],
    extraRollback: ['printf ok > "$VZ_STATE_DIR/app/health"'],
  });
}

async function main(): Promise<void> {
  const redis = await startPrivateRedis();
  const pg = await startPrivatePostgres((url) => runMigrations(url, false));
  const fleet = new SshFleet({ subnet: '127.69' });
  await fleet.start(HOSTS);
  const env = { DATABASE_URL: pg.url, REDIS_URL: redis.url, WORKER_JOB_LOCK_SECONDS: LOCK };
  const gateway = await startGateway(env);
  let worker: AppProcess = await startWorker(env);
  let consistent = 0;
  try {
    const api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const credential = (await api.post('/credentials', { name: 'chaos', username: fleet.username, privateKey: fleet.privateKey })).body;
    const hosts = (
      await api.post('/hosts/bulk', {
        hosts: fleet.hosts.map((h) => ({
          name: h.name,
          address: h.address,
          port: h.port,
          credentialId: credential.id,
          hostKey: h.hostKey,
        })),
      })
    ).body.items as { id: string; name: string }[];
    const hostName = new Map(hosts.map((h) => [h.id, h.name]));

    for (let trial = 1; trial <= TRIALS; trial += 1) {
      await Promise.all(
        fleet.hosts.map(async (h) => {
          await fleet.writeHostFile(h, 'app/version', '1.0');
          await fleet.writeHostFile(h, 'app/health', 'ok');
        }),
      );
      const bad = trial % 2 === 0;
      const breakHost = bad ? fleet.hosts[randomInt(HOSTS)]!.name : undefined;
      const patchId = (await api.post('/patches', patchDefinition(`chaos-${trial}-${Date.now()}`, breakHost))).body.id;
      await api.post(`/patches/${patchId}/approve`);
      const started = await api.post('/deployments', {
        patchId,
        targets: { hostIds: hosts.map((h) => h.id) },
        strategy: { type: 'canary', steps: [1, '10%', '50%', '100%'], maxParallel: 5 },
      });
      const { deploymentId, taskId } = started.body;
      await new Promise((resolve) => setTimeout(resolve, 500 + randomInt(3500)));
      let fault: string;
      if (trial === 3) {
        fault = 'redis restart';
        await redis.restart(1500);
      } else if (trial === 6) {
        fault = 'postgresql restart';
        await pg.stop();
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await pg.start();
      } else {
        fault = 'worker SIGKILL';
        await worker.stop('SIGKILL');
        worker = await startWorker(env);
      }
      let task: any;
      let finished = true;
      await waitFor(
        async () => {
          task = (await api.get(`/tasks/${taskId}`)).body;
          return ['succeeded', 'failed', 'cancelled'].includes(task?.status);
        },
        180_000,
        'task',
      ).catch(() => (finished = false));
      const record = (await api.get(`/deployments/${deploymentId}`)).body;
      const problems: string[] = [];
      if (!finished) problems.push(`task still ${task?.status} after 180 s`);
      if (!['succeeded', 'rolled_back', 'failed', 'cancelled'].includes(record.status)) problems.push(`deployment ${record.status}`);
      for (const host of record.hosts) {
        const fleetHost = fleet.host(hostName.get(host.hostId) as string);
        const version = await fleet.readHostFile(fleetHost, 'app/version');
        const health = await fleet.readHostFile(fleetHost, 'app/health');
        const expected = host.status === 'healthy' ? '2.0' : '1.0';
        if (['rollback_failed', 'capturing', 'applying', 'verifying', 'rolling_back'].includes(host.status)) {
          problems.push(`${host.hostName} left ${host.status}`);
        } else if (version !== expected || (host.status !== 'healthy' && health !== 'ok')) {
          problems.push(`${host.hostName}: record ${host.status}, disk version ${version} health ${health}`);
        }
      }
      const ok = problems.length === 0;
      if (ok) consistent += 1;
      console.log(
        `trial ${trial}/${TRIALS}: ${bad ? 'bad' : 'good'} patch, ${fault}: deployment ${record.status}, task ${task?.status}: ${ok ? 'consistent' : `INCONSISTENT: ${problems.join('; ')}`}`,
      );
    }
  } finally {
    await Promise.all([gateway.stop(), worker.stop('SIGKILL')]);
    await fleet.stop();
    await redis.stop();
    await pg.destroy();
  }
  console.log(`${consistent}/${TRIALS} trials consistent`);
  process.exit(consistent === TRIALS ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
