import { UsageError } from '../cli-errors';
import { Command, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid, parseList } from '../flag-values';
import type { HostView } from '../gateway-types';
import { formatTable } from '../progress-render';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'];

/** GET /findings items (docs/api.md#scans). */
interface Finding {
  id: string;
  hostId: string;
  package: string;
  advisoryId: string;
  installedVersion: string;
  fixedVersion: string | null;
  severity: string;
  status: string;
  patchId?: string | null;
}

export const findingsCommand: Command = {
  name: 'findings',
  summary: 'list vulnerability findings from scans',
  usage: 'findings [--severity critical,high] [--host NAME|ID] [--status open|resolved] [--package NAME] [--limit N]',
  options: {
    severity: { type: 'string' },
    host: { type: 'string' },
    status: { type: 'string' },
    package: { type: 'string' },
    limit: { type: 'string' },
  },
  flagHelp: [
    ['--severity LIST', `only these severities (${SEVERITIES.join(', ')}), comma-separated`],
    ['--host NAME|ID', 'only findings on this host'],
    ['--status open|resolved', 'only open or only resolved findings'],
    ['--package NAME', 'only findings in this installed package'],
    ['--limit N', 'at most N findings (default: all)'],
  ],
  examples: ['vulnzero findings --severity critical,high', 'vulnzero findings --host web-01 --status open --json | jq ".items | length"'],
  async run(ctx) {
    const severityText = stringFlag(ctx, 'severity');
    const severities = severityText !== undefined ? parseList('--severity', severityText) : undefined;
    for (const s of severities ?? []) {
      if (!SEVERITIES.includes(s)) throw new UsageError(`--severity: ${JSON.stringify(s)} must be one of ${SEVERITIES.join(', ')}`);
    }
    const status = stringFlag(ctx, 'status');
    if (status !== undefined && status !== 'open' && status !== 'resolved') throw new UsageError('--status must be open or resolved');
    const limitText = stringFlag(ctx, 'limit');
    if (limitText !== undefined && !/^[1-9]\d*$/.test(limitText)) throw new UsageError('--limit must be a whole number ≥ 1');
    const limit = limitText !== undefined ? Number(limitText) : undefined;

    const hostRef = stringFlag(ctx, 'host');
    let hosts: HostView[] | undefined;
    let hostId = hostRef;
    if (hostRef !== undefined && !isUuid(hostRef)) {
      hosts = await ctx.client().listAll<HostView>('/hosts');
      hostId = hosts.find((h) => h.name.toLowerCase() === hostRef.toLowerCase())?.id;
      if (!hostId) throw new UsageError(`--host: no host named ${hostRef}`);
    }
    const findings = (
      await ctx
        .client()
        .listAll<Finding>('/findings', { severity: severities?.join(','), hostId, status, package: stringFlag(ctx, 'package') }, limit)
    ).slice(0, limit);
    if (findings.length > 0 && !ctx.output.json) hosts ??= await ctx.client().listAll<HostView>('/hosts');
    const names = new Map((hosts ?? []).map((h) => [h.id, h.name]));
    ctx.output.lines(
      formatTable(
        ['SEVERITY', 'HOST', 'PACKAGE', 'INSTALLED', 'FIXED IN', 'ADVISORY', 'STATUS', 'ID'],
        findings.map((f) => [
          f.severity,
          names.get(f.hostId) ?? f.hostId,
          f.package,
          f.installedVersion,
          f.fixedVersion ?? '-',
          f.advisoryId,
          f.status,
          f.id,
        ]),
      ),
    );
    ctx.output.line(`${findings.length} finding(s)`);
    ctx.output.data({ items: findings });
    return ExitCode.ok;
  },
};
