import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../cli-errors';
import { booleanFlag, Command } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid } from '../flag-values';

interface PatchView {
  id: string;
  name: string;
  status: string;
  approvedBy?: string | null;
}

/** A patch definition file: JSON, or YAML (a superset) for .yml/.yaml. */
export function parsePatchFile(path: string, text: string): unknown {
  const yaml = ['.yml', '.yaml'].includes(extname(path).toLowerCase());
  try {
    return yaml ? (parseYaml(text, { uniqueKeys: true }) as unknown) : (JSON.parse(text) as unknown);
  } catch (error) {
    const reason = ((error as Error).message.split('\n')[0] as string).trim();
    throw new UsageError(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${reason}`);
  }
}

export const patchCreateCommand: Command = {
  name: 'patch create',
  summary: 'create a draft patch from a JSON or YAML definition (docs/api.md#patches)',
  usage: 'patch create FILE.json|FILE.yaml [--approve]',
  positionals: ['FILE'],
  options: { approve: { type: 'boolean' } },
  flagHelp: [
    [
      '--approve',
      'approve it right away (needs the patches:approve permission, and REQUIRE_SEPARATE_APPROVER=false: by default another user approves)',
    ],
  ],
  notes: [
    'The file holds name, capture, apply, rollback, verify, healthChecks and timeoutSeconds,',
    'or a package shorthand: {"name": …, "package": {"manager": "apt", "name": "openssl", "version": "3.0.15-1~deb12u1"}}.',
  ],
  examples: ['vulnzero patch create openssl-3.0.15.yaml', 'PATCH=$(vulnzero patch create fix.json --approve --json | jq -r .id)'],
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file) throw new UsageError('vulnzero patch create needs the definition file: vulnzero patch create FILE.json');
    if (extra.length > 0) throw new UsageError(`vulnzero patch create takes one file, got ${ctx.positionals.length}`);
    let text: string;
    try {
      text = ctx.readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const definition = parsePatchFile(file, text);
    if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
      throw new UsageError(`${file} must hold one patch definition (an object)`);
    }
    let patch = await ctx.client().post<PatchView>('/patches', definition);
    ctx.output.line(`patch ${patch.id} "${patch.name}" created (${patch.status})`);
    if (booleanFlag(ctx, 'approve')) {
      patch = await ctx.client().post<PatchView>(`/patches/${patch.id}/approve`);
      ctx.output.line(`patch ${patch.id} approved: deploy it with vulnzero deploy --patch ${patch.id} --labels … --wait`);
    } else {
      ctx.output.line(`approve it with: vulnzero patch approve ${patch.id}`);
    }
    ctx.output.data(patch);
    return ExitCode.ok;
  },
};

export const patchApproveCommand: Command = {
  name: 'patch approve',
  summary: 'approve a draft patch: only approved patches deploy, and an approved patch never changes',
  usage: 'patch approve ID',
  positionals: ['ID'],
  options: {},
  flagHelp: [],
  examples: ['vulnzero patch approve 6f1c…'],
  async run(ctx) {
    const [id, ...extra] = ctx.positionals;
    if (!id || extra.length > 0) throw new UsageError('vulnzero patch approve takes one patch id: vulnzero patch approve ID');
    if (!isUuid(id)) throw new UsageError(`${JSON.stringify(id)} is not a patch id (a UUID)`);
    const patch = await ctx.client().post<PatchView>(`/patches/${id}/approve`);
    ctx.output.line(`patch ${patch.id} "${patch.name}" approved${patch.approvedBy ? ` by ${patch.approvedBy}` : ''}`);
    ctx.output.line(`deploy it with: vulnzero deploy --patch ${patch.id} --labels … --wait`);
    ctx.output.data(patch);
    return ExitCode.ok;
  },
};
