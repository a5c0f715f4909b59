// `--hosts a,b` or `--labels k=v,…` → the `targets` of a deployment or scan
// (docs/api.md#targets). Hosts may be given by id or by name; names are looked up with
// GET /hosts, and every unknown name is reported at once.
import { GatewayError, UsageError } from './cli-errors';
import { CommandContext, stringFlag } from './command';
import { ExitCode } from './exit-codes';
import { isUuid, parseLabels, parseList } from './flag-values';
import type { HostView } from './gateway-types';

export type Targets = { hostIds: string[] } | { labels: Record<string, string> };

export const TARGET_FLAG_HELP: [string, string][] = [
  ['--hosts A,B', 'target hosts by name or id'],
  ['--labels K=V,…', 'target every host carrying all these labels (e.g. role=web,env=prod)'],
];

/** The targets flags as given, checked for shape only (no request). */
export function parseTargetFlags(ctx: CommandContext): { hosts?: string[]; labels?: Record<string, string> } {
  const hosts = stringFlag(ctx, 'hosts');
  const labels = stringFlag(ctx, 'labels');
  if (hosts !== undefined && labels !== undefined) throw new UsageError('give either --hosts or --labels, not both');
  if (hosts === undefined && labels === undefined) throw new UsageError('say which hosts: --hosts name1,name2 or --labels role=web');
  if (hosts !== undefined) return { hosts: [...new Set(parseList('--hosts', hosts))] };
  return { labels: parseLabels('--labels', labels as string) };
}

/** Names to ids; ids pass through (the gateway checks that they exist). */
export async function resolveTargets(ctx: CommandContext, parsed: { hosts?: string[]; labels?: Record<string, string> }): Promise<Targets> {
  if (parsed.labels) return { labels: parsed.labels };
  const wanted = parsed.hosts ?? [];
  const names = wanted.filter((h) => !isUuid(h));
  if (names.length === 0) return { hostIds: wanted };
  const known = new Map<string, string>();
  for (const host of await ctx.client().listAll<HostView>('/hosts')) known.set(host.name.toLowerCase(), host.id);
  const missing = names.filter((name) => !known.has(name.toLowerCase()));
  if (missing.length > 0) {
    throw new GatewayError(`not found: no host named ${missing.join(', ')} (see \`vulnzero hosts list\`)`, 404, ExitCode.failed);
  }
  return { hostIds: [...new Set(wanted.map((h) => (isUuid(h) ? h : (known.get(h.toLowerCase()) as string))))] };
}
