// From an Ansible inventory to VulnZero host registrations (POST /hosts/bulk).
//
// Label scheme: each Ansible group a host belongs to — directly or through
// `children` — becomes one label `group.<name>=true`, so a deployment can
// target a group (`--labels group.web=true`) or an intersection like
// Ansible's `web:&prod` (`--labels group.web=true,group.prod=true`). Group
// names are lower-cased and any character a label key cannot hold becomes
// "-" (a warning says so). `all` and `ungrouped` give no label. Variables
// become labels only when asked for (`--label-vars env,role`): inventories
// hold secrets (ansible_password, vault values) that must not land in labels.
import { addressProblem } from '../../../../libs/inventory/src/core/address';
import { nameProblem, portProblem } from '../../../../libs/inventory/src/core/host-input';
import { LABEL_KEY, labelsProblems, MAX_LABELS } from '../../../../libs/inventory/src/core/labels';
import type { ResolvedHost } from './ansible-inventory';

export const GROUP_LABEL_PREFIX = 'group.';

export interface ImportOptions {
  credentialId: string;
  /** The credential's login; an inventory `ansible_user` that differs is warned about. */
  credentialUsername?: string;
  /** Added to every host; win over group and var labels. */
  extraLabels?: Record<string, string>;
  /** Host vars to copy into labels of the same name. */
  labelVars?: string[];
}

export interface HostRegistration {
  name: string;
  address: string;
  port: number;
  credentialId: string;
  labels: Record<string, string>;
}

export interface ImportPlan {
  hosts: HostRegistration[];
  warnings: string[];
  /** One line per host or group that cannot be registered; nothing is registered while any exist. */
  errors: string[];
}

/** `Web_Servers` → `group.web_servers`; null when nothing usable remains. */
export function groupLabelKey(group: string): string | null {
  const name = group
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63 - GROUP_LABEL_PREFIX.length);
  const key = `${GROUP_LABEL_PREFIX}${name}`;
  return name && LABEL_KEY.test(key) ? key : null;
}

function firstDefined(vars: Record<string, unknown>, names: string[]): unknown {
  for (const name of names) if (vars[name] !== undefined && vars[name] !== null) return vars[name];
  return undefined;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function planImport(hosts: ResolvedHost[], options: ImportOptions): ImportPlan {
  const warnings: string[] = [];
  const errors: string[] = [];
  const registrations: HostRegistration[] = [];

  const renamed = new Map<string, string>();
  const unusable = new Set<string>();
  for (const host of hosts) {
    for (const group of host.groups) {
      const key = groupLabelKey(group);
      if (key === null) unusable.add(group);
      else if (key !== `${GROUP_LABEL_PREFIX}${group}`) renamed.set(group, key);
    }
  }
  for (const [group, key] of renamed) warnings.push(`group ${JSON.stringify(group)} becomes label ${key}=true`);
  for (const group of unusable) warnings.push(`group ${JSON.stringify(group)} has no usable label name and gives no label`);

  const userMismatches = new Map<string, string[]>();
  const seenNames = new Map<string, string>();
  for (const host of hosts) {
    const problems: string[] = [];
    const namePro = nameProblem(host.name);
    if (namePro) problems.push(`name ${namePro}`);
    const lower = host.name.toLowerCase();
    if (seenNames.has(lower)) problems.push(`name clashes with ${seenNames.get(lower)} (host names are case-insensitive)`);
    seenNames.set(lower, host.name);

    const addressValue = scalar(firstDefined(host.vars, ['ansible_host', 'ansible_ssh_host'])) ?? host.name;
    const address = addressValue.trim().toLowerCase();
    const addressPro = addressProblem(address);
    if (addressPro) problems.push(`address ${JSON.stringify(addressValue)} ${addressPro}`);

    const portValue = firstDefined(host.vars, ['ansible_port', 'ansible_ssh_port']);
    let port = 22;
    if (portValue !== undefined) {
      const text = scalar(portValue) ?? '';
      port = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
      const portPro = portProblem(port);
      if (portPro) problems.push(`ansible_port ${JSON.stringify(portValue)} ${portPro}`);
    }

    const user = scalar(firstDefined(host.vars, ['ansible_user', 'ansible_ssh_user', 'ansible_ssh_user_name']));
    if (user !== undefined && options.credentialUsername !== undefined && user !== options.credentialUsername) {
      userMismatches.set(user, [...(userMismatches.get(user) ?? []), host.name]);
    }

    const labels: Record<string, string> = {};
    for (const group of host.groups) {
      const key = groupLabelKey(group);
      if (key) labels[key] = 'true';
    }
    for (const name of options.labelVars ?? []) {
      const value = host.vars[name];
      if (value === undefined || value === null) continue;
      const text = scalar(value);
      if (text === undefined) problems.push(`variable ${name} is not a plain value and cannot become a label`);
      else labels[name] = text;
    }
    Object.assign(labels, options.extraLabels ?? {});
    if (Object.keys(labels).length > MAX_LABELS) {
      problems.push(
        `would get ${Object.keys(labels).length} labels, more than the ${MAX_LABELS} a host may carry (it is in ${host.groups.length} groups)`,
      );
    } else {
      problems.push(...labelsProblems(labels).map((p) => `label ${p}`));
    }

    if (problems.length > 0) errors.push(`host ${host.name}: ${problems.join('; ')}`);
    else registrations.push({ name: host.name, address, port, credentialId: options.credentialId, labels });
  }
  for (const [user, names] of userMismatches) {
    const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
    warnings.push(
      `ansible_user ${user} (${shown}) differs from the credential's username ${options.credentialUsername}: VulnZero logs in as ${options.credentialUsername}`,
    );
  }
  return { hosts: registrations, warnings, errors };
}
