import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES } from '@vulnzero/config';
import { METRIC } from '../../libs/metrics/src/core/metric-names';
import { REPO_ROOT } from '../harness/test-env';

// The deployment artefacts (compose, Dockerfile, Kubernetes, Prometheus,
// Grafana) checked without a container engine or a cluster: parsed, tied to
// the code they describe (config variables, metric names, ports, probes), and
// validated by the real tools where this machine has them (`docker compose`,
// `promtool`).

const at = (...parts: string[]) => join(REPO_ROOT, ...parts);
const read = (...parts: string[]) => readFileSync(at(...parts), 'utf8');

function commandWorks(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const COMPOSE_ENV = {
  POSTGRES_PASSWORD: 'compose-test-postgres-password',
  REDIS_PASSWORD: 'compose-test-redis-password',
  JWT_SECRET: 'compose-test-jwt-secret-0123456789abcdef',
  VULNZERO_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
  METRICS_TOKEN: 'compose-test-metrics-token-0123',
  ADMIN_PASSWORD: 'Compose-Test-Admin-2026',
};

const requiredBy = (role: 'gateway' | 'worker' | 'migrate') =>
  CONFIG_VARIABLES.filter((v) => v.requiredBy.includes(role)).map((v) => v.name);
const CONFIG_NAMES = new Set(CONFIG_VARIABLES.map((v) => v.name));

/** Metric names an expression refers to, histogram and counter suffixes folded onto the family. */
function vulnzeroMetricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bvulnzero_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
}
const KNOWN_METRICS = new Set<string>(Object.values(METRIC));

/** GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to dashes. */
function anchorsOf(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      (m[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

describe('docker-compose.yml', () => {
  const raw = parse(read('docker-compose.yml'), { merge: true });
  const hasComposeCli = commandWorks('docker', ['compose', 'version']);

  it('runs postgres, redis, migrations, gateway and worker, with Prometheus and Grafana only in the monitoring profile', () => {
    expect(Object.keys(raw.services).sort()).toEqual(['gateway', 'grafana', 'migrate', 'postgres', 'prometheus', 'redis', 'worker']);
    for (const name of ['postgres', 'redis', 'migrate', 'gateway', 'worker']) expect(raw.services[name].profiles).toBeUndefined();
    for (const name of ['prometheus', 'grafana']) expect(raw.services[name].profiles).toEqual(['monitoring']);
  });

  it('starts gateway and worker only after the migrations succeeded and Redis is healthy', () => {
    for (const name of ['gateway', 'worker']) {
      expect(raw.services[name].depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(raw.services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(raw.services.migrate.command).toEqual(['node', 'dist/libs/database/src/run-migrations.js']);
    expect(existsSync(at('libs/database/src/run-migrations.ts'))).toBe(true);
  });

  it('gives each app every variable its role requires, and only variables the config schema knows', () => {
    const roles = { gateway: 'gateway', worker: 'worker', migrate: 'migrate' } as const;
    for (const [service, role] of Object.entries(roles)) {
      const env = raw.services[service].environment as Record<string, string>;
      for (const name of requiredBy(role)) expect({ service, name, set: name in env }).toEqual({ service, name, set: true });
      for (const name of Object.keys(env)) {
        if (name !== 'VULNZERO_APP') expect({ service, name, known: CONFIG_NAMES.has(name) }).toEqual({ service, name, known: true });
      }
    }
    expect(raw.services.worker.environment.METRICS_PORT).toBe('9464');
  });

  it('holds no secret: each one is a required interpolation', () => {
    const secrets = CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name);
    for (const service of ['gateway', 'worker', 'migrate']) {
      for (const [name, value] of Object.entries(raw.services[service].environment as Record<string, string>)) {
        if (!secrets.includes(name)) continue;
        expect({ service, name, value }).toEqual({ service, name, value: expect.stringMatching(/\$\{[A-Z_]+:\?[^}]+\}/) });
      }
    }
  });

  it('mounts only files that exist, and builds from deploy/Dockerfile', () => {
    for (const service of Object.values(raw.services) as { volumes?: string[] }[]) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('./')) expect({ volume, exists: existsSync(at(source)) }).toEqual({ volume, exists: true });
      }
    }
    expect(raw.services.gateway.build).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile' });
  });

  (hasComposeCli ? it : it.skip)('is valid for `docker compose config`, with and without the monitoring profile', () => {
    for (const profile of [[], ['--profile', 'monitoring']]) {
      const output = execFileSync('docker', ['compose', '-f', at('docker-compose.yml'), ...profile, 'config', '--format', 'json'], {
        env: { ...process.env, ...COMPOSE_ENV },
        encoding: 'utf8',
      });
      const resolved = JSON.parse(output);
      expect(resolved.services.gateway.environment.JWT_SECRET).toBe(COMPOSE_ENV.JWT_SECRET);
    }
  });

  (hasComposeCli ? it : it.skip)('refuses to render without a secret, naming it', () => {
    const { JWT_SECRET: _omitted, ...rest } = COMPOSE_ENV;
    const result = spawnSync('docker', ['compose', '-f', at('docker-compose.yml'), 'config'], {
      env: { PATH: process.env.PATH, ...rest },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('JWT_SECRET');
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1] as string;

  it('builds in stages and ships a runtime stage without dev dependencies or sources', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=deps .*\/app\/node_modules/);
    expect(runtime).not.toMatch(/COPY [^\n]*\b(apps|libs)\b [^\n]*\.\/(apps|libs)/);
    expect(runtime).not.toMatch(/npm (ci|install)(?![^\n]*--omit=dev)/);
  });

  it('runs as a numeric non-root user with a health check and an exec-form command', () => {
    const user = /^USER\s+(\S+)/m.exec(runtime)?.[1];
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "deploy\/healthcheck\.js"\]/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/apps\/gateway\/src\/main\.js"\]/m);
  });

  it('copies only paths that exist, and keeps everything else out of the build context', () => {
    for (const match of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const source of (match[1] as string).split(/\s+/))
        expect({ source, exists: existsSync(at(source)) }).toEqual({ source, exists: true });
    }
    const ignore = read('deploy/Dockerfile.dockerignore');
    expect(ignore.split('\n')[ignore.split('\n').findIndex((l) => !l.startsWith('#'))]).toBe('**');
    expect(ignore).not.toMatch(/^!\.env/m);
  });
});

describe('Kubernetes manifests', () => {
  const dir = at('deploy', 'kubernetes');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const docs = files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return { file, ...(doc.toJS() as any) };
    }),
  );
  const resources = docs.filter((d) => d.kind !== 'Kustomization');
  const find = (kind: string, name: string) => {
    const found = resources.find((d) => d.kind === kind && d.metadata?.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };
  const configMap = find('ConfigMap', 'vulnzero-config');
  const secret = find('Secret', 'vulnzero-secrets');
  const API_VERSIONS: Record<string, string> = {
    Namespace: 'v1',
    ConfigMap: 'v1',
    Secret: 'v1',
    Service: 'v1',
    Deployment: 'apps/v1',
    Job: 'batch/v1',
    Ingress: 'networking.k8s.io/v1',
    NetworkPolicy: 'networking.k8s.io/v1',
    PodDisruptionBudget: 'policy/v1',
    HorizontalPodAutoscaler: 'autoscaling/v2',
  };

  it('has a known apiVersion, a name and the vulnzero namespace on every resource', () => {
    for (const doc of resources) {
      expect({ file: doc.file, kind: doc.kind, apiVersion: doc.apiVersion }).toEqual({
        file: doc.file,
        kind: doc.kind,
        apiVersion: API_VERSIONS[doc.kind],
      });
      expect(doc.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      if (doc.kind !== 'Namespace')
        expect({ file: doc.file, namespace: doc.metadata.namespace }).toEqual({ file: doc.file, namespace: 'vulnzero' });
    }
    expect(resources.map((d) => d.kind)).toEqual(expect.arrayContaining(Object.keys(API_VERSIONS)));
  });

  it('lists every manifest in the kustomization', () => {
    const kustomization = docs.find((d) => d.kind === 'Kustomization');
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('configures only variables the config schema knows, and covers every required one', () => {
    const keys = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)];
    for (const key of keys) expect({ key, known: CONFIG_NAMES.has(key) }).toEqual({ key, known: true });
    for (const name of [...requiredBy('gateway'), ...requiredBy('worker')]) expect(keys).toContain(name);
    const secretNames = CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name);
    for (const key of Object.keys(configMap.data)) expect(secretNames).not.toContain(key);
  });

  it('ships placeholder secrets that the config validation refuses, so a forgotten edit cannot start', () => {
    const spec = (name: string) => CONFIG_VARIABLES.find((v) => v.name === name)!;
    for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) {
      expect({ key, problem: spec(key).check(value) }).toEqual({ key, problem: expect.any(String) });
    }
  });

  function container(deployment: any) {
    return deployment.spec.template.spec.containers[0];
  }

  it.each(['vulnzero-gateway', 'vulnzero-worker'])(
    '%s selects its own pods, runs as non-root with resources and env from the ConfigMap and Secret',
    (name) => {
      const deployment = find('Deployment', name);
      const labels = deployment.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: expect.any(Number) }));
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      const c = container(deployment);
      expect(c.image).toMatch(/:[\w.-]+$/);
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits.memory).toEqual(expect.any(String));
      expect(c.securityContext).toEqual(expect.objectContaining({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true }));
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'vulnzero-config' } }, { secretRef: { name: 'vulnzero-secrets' } }]);
    },
  );

  it('probes the gateway: liveness on /health/live, readiness on /health/ready, on its HTTP port', () => {
    const c = container(find('Deployment', 'vulnzero-gateway'));
    const port = c.ports.find((p: any) => p.name === c.livenessProbe.httpGet.port);
    expect(port.containerPort).toBe(Number(configMap.data.PORT));
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: c.livenessProbe.httpGet.port });
    expect(c.command).toEqual(['node', 'dist/apps/gateway/src/main.js']);
  });

  it('probes the worker on its metrics listener and gives it longer to stop than its shutdown timeout', () => {
    const deployment = find('Deployment', 'vulnzero-worker');
    const c = container(deployment);
    const port = c.ports.find((p: any) => p.name === c.livenessProbe.httpGet.port);
    expect(port.containerPort).toBe(Number(configMap.data.METRICS_PORT));
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      Number(configMap.data.WORKER_SHUTDOWN_TIMEOUT_SECONDS),
    );
    expect(c.command).toEqual(['node', 'dist/apps/worker/src/main.js']);
  });

  it('routes Services, the Ingress, PDBs and the HPA to things that exist', () => {
    const deployments = resources.filter((d) => d.kind === 'Deployment');
    const podsMatching = (selector: Record<string, string>) =>
      deployments.filter((d) => Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
    for (const service of resources.filter((d) => d.kind === 'Service')) {
      const [target] = podsMatching(service.spec.selector);
      expect({ service: service.metadata.name, found: Boolean(target) }).toEqual({ service: service.metadata.name, found: true });
      const portNames = container(target).ports.map((p: any) => p.name);
      for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    }
    for (const pdb of resources.filter((d) => d.kind === 'PodDisruptionBudget')) {
      expect(podsMatching(pdb.spec.selector.matchLabels)).toHaveLength(1);
      expect(pdb.spec.minAvailable ?? pdb.spec.maxUnavailable).toBeDefined();
    }
    const ingress = find('Ingress', 'vulnzero-gateway');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    const service = find('Service', backend.name);
    expect(service.spec.ports.map((p: any) => p.name)).toContain(backend.port.name);
    expect(ingress.spec.tls).toHaveLength(1);
    const hpa = find('HorizontalPodAutoscaler', 'vulnzero-worker');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'vulnzero-worker' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics.length).toBeGreaterThan(0);
  });

  it('runs the migrations as a Job that never restarts in place and reads only DATABASE_URL', () => {
    const job = find('Job', 'vulnzero-migrate');
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].command).toEqual(['node', 'dist/libs/database/src/run-migrations.js']);
    expect(pod.containers[0].env.map((e: any) => e.name).filter((n: string) => CONFIG_NAMES.has(n))).toEqual(requiredBy('migrate'));
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
  });
});

describe('Prometheus configuration and alert rules', () => {
  const rules = parse(read('deploy/prometheus/alerts.yml'));
  const config = parse(read('deploy/prometheus/prometheus.yml'));
  const allRules = rules.groups.flatMap((g: any) => g.rules) as any[];
  const promtool = process.env.PROMTOOL ?? (commandWorks('promtool', ['--version']) ? 'promtool' : undefined);

  it('alerts on a failed rollback, a stuck task, a queue backlog and an SSH failure spike', () => {
    expect(allRules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'VulnzeroRollbackFailed',
        'VulnzeroTaskStuckQueued',
        'VulnzeroTaskStuckRunning',
        'VulnzeroQueueBacklog',
        'VulnzeroSshFailureSpike',
      ]),
    );
  });

  it('gives every rule a severity, a summary and a runbook that exists in docs/', () => {
    for (const rule of allRules) {
      expect({ alert: rule.alert, severity: rule.labels?.severity }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning|info)$/),
      });
      expect(rule.annotations.summary).toEqual(expect.any(String));
      const [file, anchor] = (rule.annotations.runbook_url as string).split('#') as [string, string | undefined];
      expect({ alert: rule.alert, file, exists: existsSync(at(file)) }).toEqual({ alert: rule.alert, file, exists: true });
      if (anchor)
        expect({ alert: rule.alert, anchor, found: anchorsOf(read(file)).has(anchor) }).toEqual({ alert: rule.alert, anchor, found: true });
    }
  });

  it('refers only to metrics the gateway and worker expose', () => {
    for (const rule of allRules) {
      for (const metric of vulnzeroMetricsIn(rule.expr))
        expect({ alert: rule.alert, metric, known: KNOWN_METRICS.has(metric) }).toEqual({ alert: rule.alert, metric, known: true });
    }
  });

  it('scrapes gateways and workers with the scrape token and loads the rules', () => {
    expect(config.rule_files).toEqual(['alerts.yml']);
    const jobs = Object.fromEntries(config.scrape_configs.map((j: any) => [j.job_name, j]));
    for (const job of ['vulnzero-gateway', 'vulnzero-worker']) {
      expect(jobs[job].authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics_token' });
      expect(jobs[job].metrics_path).toBe('/metrics');
    }
    expect(jobs['vulnzero-worker'].dns_sd_configs[0].port).toBe(9464);
    // The rules' `up{job=…}` selectors name these jobs.
    for (const rule of allRules) {
      for (const match of (rule.expr as string).matchAll(/job="([^"]+)"/g)) expect(Object.keys(jobs)).toContain(match[1]);
    }
  });

  (promtool ? it : it.skip)('passes promtool: rules check, rule unit tests, config syntax', () => {
    const dir = at('deploy', 'prometheus');
    execFileSync(promtool as string, ['check', 'rules', join(dir, 'alerts.yml')], { stdio: 'pipe' });
    execFileSync(promtool as string, ['test', 'rules', join(dir, 'alerts.test.yml')], { stdio: 'pipe' });
    execFileSync(promtool as string, ['check', 'config', '--syntax-only', join(dir, 'prometheus.yml')], { stdio: 'pipe' });
  });

  (promtool ? it : it.skip)('fails promtool on a broken rule (the check is real)', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'vz-rules-'));
    try {
      writeFileSync(
        join(scratch, 'bad.yml'),
        'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(vulnzero_queue_jobs[5m]) > \n',
      );
      expect(spawnSync(promtool as string, ['check', 'rules', join(scratch, 'bad.yml')]).status).not.toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('Grafana dashboard and provisioning', () => {
  const dashboard = JSON.parse(read('deploy/grafana/vulnzero-dashboard.json'));
  const panels = (dashboard.panels as any[]).filter((p) => p.type !== 'row');
  const exprs = panels.flatMap((p) => (p.targets as any[]).map((t) => t.expr as string));

  it('is a dashboard with a stable uid and a data source variable', () => {
    expect(dashboard.uid).toBe('vulnzero-overview');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const panel of panels) expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('shows deployments, failure rate, rollbacks, host-operation latency and queue depth', () => {
    const titles = panels.map((p) => p.title as string);
    expect(titles).toEqual(
      expect.arrayContaining(['Deployments finished by status', 'Failure rate (range)', 'Host rollbacks', 'Queue depth']),
    );
    expect(exprs.some((e) => e.includes('histogram_quantile') && e.includes('vulnzero_host_operation_seconds_bucket'))).toBe(true);
  });

  it('queries only metrics the apps expose', () => {
    for (const expr of exprs)
      for (const metric of vulnzeroMetricsIn(expr)) expect({ metric, known: KNOWN_METRICS.has(metric) }).toEqual({ metric, known: true });
  });

  it('lays panels out on the 24-column grid without overlaps and with unique ids', () => {
    const all = dashboard.panels as any[];
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const [i, a] of all.entries()) {
      expect(a.gridPos.x + a.gridPos.w).toBeLessThanOrEqual(24);
      for (const b of all.slice(i + 1)) {
        const overlap =
          a.gridPos.x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect({ a: a.title, b: b.title, overlap }).toEqual({ a: a.title, b: b.title, overlap: false });
      }
    }
  });

  it('is provisioned from where docker-compose.yml mounts it', () => {
    const provider = parse(read('deploy/grafana/provisioning/dashboards/vulnzero.yml'));
    const datasource = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml'));
    const compose = parse(read('docker-compose.yml'));
    const mount = (compose.services.grafana.volumes as string[]).find((v) =>
      v.startsWith('./deploy/grafana/vulnzero-dashboard.json'),
    ) as string;
    expect(mount.split(':')[1]).toBe(`${provider.providers[0].options.path}/vulnzero-dashboard.json`);
    expect(datasource.datasources[0]).toEqual(expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }));
  });
});
