import { extname } from 'node:path';
import { mapLimit } from '@vulnzero/async';
import { CliError, GatewayError, UsageError } from '../cli-errors';
import { booleanFlag, Command, CommandContext, requiredFlag, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid, parseLabels, parseList } from '../flag-values';
import type { HostView } from '../gateway-types';
import { InventoryError, resolveInventory } from '../inventory/ansible-inventory';
import { parseIniInventory } from '../inventory/ansible-ini';
import { parseYamlInventory } from '../inventory/ansible-yaml';
import { HostRegistration, planImport } from '../inventory/inventory-import';
import { formatTable } from '../progress-render';

const BULK_LIMIT = 1000;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

interface CredentialView {
  id: string;
  name: string;
  username: string;
}

/** INI or YAML by extension; a file without one (Ansible's `hosts`) is sniffed. */
export function inventoryFormat(path: string, text: string, forced?: string): 'ini' | 'yaml' {
  if (forced !== undefined) {
    if (forced !== 'ini' && forced !== 'yaml') throw new UsageError(`--format: ${JSON.stringify(forced)} must be ini or yaml`);
    return forced;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini' || ext === '.cfg') return 'ini';
  return /^[A-Za-z0-9_.-]+:\s*(#.*)?$/m.test(text) && !/^\s*\[[^\]]+\]\s*$/m.test(text) ? 'yaml' : 'ini';
}

async function findCredential(ctx: CommandContext, ref: string): Promise<CredentialView> {
  if (isUuid(ref)) return ctx.client().get<CredentialView>(`/credentials/${ref}`);
  const all = await ctx.client().listAll<CredentialView>('/credentials');
  const found = all.find((c) => c.name === ref) ?? all.find((c) => c.name.toLowerCase() === ref.toLowerCase());
  if (!found) throw new CliError(`not found: no credential named ${ref} (give its id or name)`, ExitCode.failed, 'http_404');
  return found;
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function sameRegistration(existing: HostView, wanted: HostRegistration): boolean {
  const labels = (l: Record<string, string>) => JSON.stringify(Object.entries(l).sort(([a], [b]) => a.localeCompare(b)));
  return (
    existing.address === wanted.address &&
    existing.port === wanted.port &&
    existing.credentialId === wanted.credentialId &&
    labels(existing.labels) === labels(wanted.labels)
  );
}

interface TrustOutcome {
  name: string;
  id: string;
  fingerprint?: string;
  error?: string;
}

async function trustHosts(
  ctx: CommandContext,
  hosts: { id: string; name: string }[],
  expectedFingerprint?: string,
): Promise<TrustOutcome[]> {
  const outcomes: TrustOutcome[] = [];
  // A few at a time: each trust is an SSH handshake made by the gateway.
  await mapLimit(hosts, 8, async (host) => {
    try {
      const view = await ctx
        .client()
        .post<HostView>(`/hosts/${host.id}/host-key/trust`, expectedFingerprint ? { expectedFingerprint } : {});
      outcomes.push({ name: host.name, id: host.id, fingerprint: view.hostKeyFingerprint ?? undefined });
    } catch (error) {
      // An auth error holds for every host: stop. Anything else is this host's.
      if (!(error instanceof CliError) || (error instanceof GatewayError && [401, 403].includes(error.status))) throw error;
      outcomes.push({ name: host.name, id: host.id, error: error.message });
    }
  });
  return outcomes.sort((a, b) => a.name.localeCompare(b.name));
}

function reportTrust(ctx: CommandContext, outcomes: TrustOutcome[]): void {
  const trusted = outcomes.filter((o) => o.fingerprint);
  const failed = outcomes.filter((o) => o.error);
  if (trusted.length > 0) {
    ctx.output.line(`pinned the key each host presented (trust on first use); compare with what you expect:`);
    ctx.output.lines(
      formatTable(
        ['HOST', 'FINGERPRINT'],
        trusted.map((o) => [o.name, o.fingerprint as string]),
      ).map((l) => `  ${l}`),
    );
  }
  for (const o of failed) ctx.output.warn(`could not trust ${o.name}: ${o.error}`);
}

export const hostsImportCommand: Command = {
  name: 'hosts import',
  summary: 'register the hosts of an Ansible inventory (INI or YAML); groups become labels',
  usage: 'hosts import FILE --credential ID|NAME [--dry-run] [--trust] [--labels K=V,…] [--label-vars VAR,…] [--format ini|yaml]',
  positionals: ['FILE'],
  options: {
    credential: { type: 'string' },
    'dry-run': { type: 'boolean' },
    trust: { type: 'boolean' },
    labels: { type: 'string' },
    'label-vars': { type: 'string' },
    format: { type: 'string' },
  },
  flagHelp: [
    ['--credential ID|NAME', 'the SSH credential the hosts use (required)'],
    ['--dry-run', 'show what would be registered; change nothing'],
    ['--trust', 'then pin the key each new host presents now (trust on first use)'],
    ['--labels K=V,…', 'labels added to every imported host (e.g. source=ansible)'],
    ['--label-vars VAR,…', 'host or group variables to copy into labels of the same name (e.g. env,role)'],
    ['--format ini|yaml', 'the inventory format (default: by extension, else detected)'],
  ],
  notes: [
    'Mapping: the inventory host name is the VulnZero name; ansible_host (else the name) the address;',
    'ansible_port (or host:port) the port, default 22; ansible_user must match the credential username',
    '(a warning names the hosts where it does not). Each group a host is in, directly or through',
    ':children, becomes the label group.<name>=true (lower-cased; other characters become "-"),',
    'so `vulnzero deploy --labels group.web=true` targets the Ansible group web. `all` and `ungrouped`',
    'give no label. Hosts already registered under the same name are left unchanged and reported.',
    'New hosts are unpinned: no deployment connects to them until their key is trusted (--trust,',
    'or `vulnzero hosts trust NAME --fingerprint SHA256:…` after checking the fingerprint out of band).',
  ],
  examples: [
    'vulnzero hosts import inventory/hosts.ini --credential deploy-key --dry-run',
    'vulnzero hosts import inventory.yml --credential 5b2e… --labels source=ansible --label-vars env --trust',
  ],
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file) throw new UsageError('vulnzero hosts import needs the inventory file: vulnzero hosts import FILE --credential ID');
    if (extra.length > 0) throw new UsageError(`vulnzero hosts import takes one file, got ${ctx.positionals.length}`);
    const credentialRef = requiredFlag(ctx, 'credential', 'the id or name of the SSH credential the hosts log in with');
    const extraLabels = stringFlag(ctx, 'labels') !== undefined ? parseLabels('--labels', stringFlag(ctx, 'labels') as string) : {};
    const labelVars = stringFlag(ctx, 'label-vars') !== undefined ? parseList('--label-vars', stringFlag(ctx, 'label-vars') as string) : [];
    const dryRun = booleanFlag(ctx, 'dry-run');
    const trust = booleanFlag(ctx, 'trust');
    if (dryRun && trust) throw new UsageError('--trust changes hosts; it cannot go with --dry-run');

    let text: string;
    try {
      text = ctx.readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const format = inventoryFormat(file, text, stringFlag(ctx, 'format'));
    let resolved;
    try {
      resolved = resolveInventory(format === 'yaml' ? parseYamlInventory(text) : parseIniInventory(text));
    } catch (error) {
      if (error instanceof InventoryError) throw new UsageError(`${file} (${format}): ${error.message}`);
      throw error;
    }
    if (resolved.length === 0) throw new UsageError(`${file} (${format}) lists no hosts`);

    const credential = await findCredential(ctx, credentialRef);
    const plan = planImport(resolved, {
      credentialId: credential.id,
      credentialUsername: credential.username,
      extraLabels,
      labelVars,
    });
    for (const warning of plan.warnings) ctx.output.warn(warning);
    if (plan.errors.length > 0) {
      throw new UsageError(`${file}: ${plan.errors.length} host(s) cannot be registered; nothing was imported`, plan.errors);
    }

    const existing = new Map<string, HostView>();
    for (const host of await ctx.client().listAll<HostView>('/hosts')) existing.set(host.name.toLowerCase(), host);
    const fresh = plan.hosts.filter((h) => !existing.has(h.name.toLowerCase()));
    const known = plan.hosts.filter((h) => existing.has(h.name.toLowerCase()));
    const changed = known.filter((h) => !sameRegistration(existing.get(h.name.toLowerCase()) as HostView, h));
    for (const host of changed) {
      ctx.output.warn(
        `${host.name} is already registered with another address, port, credential or labels; left unchanged (PATCH /hosts/${existing.get(host.name.toLowerCase())?.id})`,
      );
    }

    const table = (hosts: HostRegistration[]) =>
      formatTable(
        ['NAME', 'ADDRESS', 'PORT', 'LABELS'],
        hosts.map((h) => [h.name, h.address, String(h.port), labelText(h.labels)]),
      ).map((l) => `  ${l}`);
    const summary = { file, format, credential: { id: credential.id, name: credential.name, username: credential.username } };

    if (dryRun) {
      ctx.output.line(
        `dry run: ${fresh.length} host(s) would be registered from ${file} (${format}) with credential ${credential.name}${known.length > 0 ? `; ${known.length} already registered` : ''}`,
      );
      if (fresh.length > 0) ctx.output.lines(table(fresh));
      ctx.output.data({ ...summary, dryRun: true, hosts: fresh, alreadyRegistered: known.map((h) => h.name), warnings: plan.warnings });
      return ExitCode.ok;
    }

    const registered: HostView[] = [];
    for (let i = 0; i < fresh.length; i += BULK_LIMIT) {
      const page = await ctx.client().post<{ items: HostView[] }>('/hosts/bulk', { hosts: fresh.slice(i, i + BULK_LIMIT) });
      registered.push(...page.items);
    }
    ctx.output.line(
      `registered ${registered.length} host(s) from ${file} (${format}) with credential ${credential.name}${known.length > 0 ? `; ${known.length} already registered, left unchanged` : ''}`,
    );
    if (registered.length > 0) ctx.output.lines(table(fresh));

    let outcomes: TrustOutcome[] = [];
    const unpinned = registered.filter((h) => h.hostKeyStatus !== 'pinned');
    if (trust && unpinned.length > 0) {
      outcomes = await trustHosts(ctx, unpinned);
      reportTrust(ctx, outcomes);
    } else if (unpinned.length > 0) {
      ctx.output.line();
      ctx.output.line(
        `${unpinned.length} host(s) are unpinned: no deployment or scan connects to them until their SSH host key is trusted.`,
      );
      ctx.output.line('Check each fingerprint out of band (e.g. ssh-keyscan HOST | ssh-keygen -lf -), then pin it:');
      ctx.output.line(`  vulnzero hosts trust ${unpinned[0]?.name} --fingerprint SHA256:…`);
      ctx.output.line(
        `or trust what they present now (trust on first use): vulnzero hosts trust ${
          unpinned.length > 3
            ? `${unpinned
                .slice(0, 3)
                .map((h) => h.name)
                .join(' ')} …`
            : unpinned.map((h) => h.name).join(' ')
        }`,
      );
    }
    ctx.output.data({
      ...summary,
      registered,
      alreadyRegistered: known.map((h) => h.name),
      warnings: plan.warnings,
      ...(trust ? { trust: outcomes } : {}),
    });
    return outcomes.some((o) => o.error) ? ExitCode.failed : ExitCode.ok;
  },
};

async function resolveHostRefs(ctx: CommandContext, refs: string[]): Promise<HostView[]> {
  const all = await ctx.client().listAll<HostView>('/hosts');
  const byName = new Map(all.map((h) => [h.name.toLowerCase(), h]));
  const byId = new Map(all.map((h) => [h.id, h]));
  const missing = refs.filter((r) => !(isUuid(r) ? byId.has(r.toLowerCase()) : byName.has(r.toLowerCase())));
  if (missing.length > 0) throw new CliError(`not found: no host ${missing.join(', ')}`, ExitCode.failed, 'http_404');
  return refs.map((r) => (isUuid(r) ? byId.get(r.toLowerCase()) : byName.get(r.toLowerCase())) as HostView);
}

export const hostsTrustCommand: Command = {
  name: 'hosts trust',
  summary: 'pin the SSH host key a host presents now (optionally only if it has the expected fingerprint)',
  usage: 'hosts trust HOST… [--fingerprint SHA256:…]',
  positionals: ['HOST'],
  options: { fingerprint: { type: 'string' } },
  flagHelp: [['--fingerprint SHA256:…', 'pin only if the host presents this fingerprint (one host); required to replace a pinned key']],
  examples: [
    'vulnzero hosts trust web-01 --fingerprint SHA256:O3gOzqxfv92KS4r3fxyWbdJWQ2kZeKJBKooyRG4rcM0',
    'vulnzero hosts trust web-01 web-02 web-03',
  ],
  async run(ctx) {
    if (ctx.positionals.length === 0) throw new UsageError('vulnzero hosts trust needs at least one host name or id');
    const fingerprint = stringFlag(ctx, 'fingerprint');
    if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint)) {
      throw new UsageError('--fingerprint must look like SHA256:<43 base64 characters>, as ssh-keygen -l prints it');
    }
    if (fingerprint !== undefined && ctx.positionals.length > 1) throw new UsageError('--fingerprint checks one host at a time');
    const hosts = await resolveHostRefs(ctx, ctx.positionals);
    const outcomes = await trustHosts(ctx, hosts, fingerprint);
    reportTrust(ctx, outcomes);
    ctx.output.data({ trust: outcomes });
    return outcomes.some((o) => o.error) ? ExitCode.failed : ExitCode.ok;
  },
};

export const hostsListCommand: Command = {
  name: 'hosts list',
  summary: 'list registered hosts, optionally those carrying some labels',
  usage: 'hosts list [--labels K=V,…]',
  options: { labels: { type: 'string' } },
  flagHelp: [['--labels K=V,…', 'only hosts carrying all these labels']],
  examples: ['vulnzero hosts list', 'vulnzero hosts list --labels group.web=true --json'],
  async run(ctx) {
    const labels = stringFlag(ctx, 'labels');
    const filters = labels !== undefined ? Object.entries(parseLabels('--labels', labels)).map(([k, v]) => `${k}=${v}`) : undefined;
    const hosts = await ctx.client().listAll<HostView>('/hosts', { label: filters });
    ctx.output.lines(
      formatTable(
        ['NAME', 'ADDRESS', 'PORT', 'KEY', 'LABELS', 'ID'],
        hosts.map((h) => [h.name, h.address, String(h.port), h.hostKeyStatus, labelText(h.labels), h.id]),
      ),
    );
    ctx.output.data({ items: hosts });
    return ExitCode.ok;
  },
};
