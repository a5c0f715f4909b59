import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from '../harness/app-process';
import { REPO_ROOT } from '../harness/test-env';

jest.setTimeout(300_000);

// `npm run demo`, non-interactively, as a new user would run it: the demo
// brings up its own fleet, gateway and worker and must end as it promises.
describe('npm run demo', () => {
  it('scans, deploys a good canary, rolls it back, rolls back a bad patch automatically, then patches and rolls back openssl on real Debian hosts', async () => {
    const port = String(await freePort());
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'demo.sh')], {
      cwd: REPO_ROOT,
      env: { ...process.env, CI: 'true', PORT: port, VZ_DEMO_SKIP_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`demo exited ${code}:\n${output.slice(-6000)}`);
    expect(output).toContain('scan succeeded');
    expect(output).toMatch(/findings: critical \d+/);
    expect(output).toContain('deploy succeeded');
    expect(output).toMatch(/deployment [0-9a-f-]+: rolled_back/);
    expect(output).toContain('"badExit":1');
    expect(output).toContain('"allBackTo1":true');
    expect(output).toContain('"debianExact":true');
    expect(output).toContain('/docs');
  });
});
