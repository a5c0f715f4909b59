// An Ansible inventory as Ansible reads it: groups with hosts, child groups
// and vars, host vars, and the host patterns `web[01:03].example.com`.
// The INI and YAML readers fill this model; `resolveInventory` then gives each
// host its groups (ancestors included: a host of `web` in `prod:children` is
// in `prod`) and its effective vars with Ansible's precedence: `all`, then
// groups by depth (parents before children, same depth by name), then the
// host's own vars.

export type InventoryVars = Record<string, unknown>;

export interface InventoryGroup {
  name: string;
  hosts: Set<string>;
  children: Set<string>;
  vars: InventoryVars;
}

export interface Inventory {
  groups: Map<string, InventoryGroup>;
  /** Host vars by host name, merged over every place the host is listed. */
  hostVars: Map<string, InventoryVars>;
  /** Host names in the order first seen, for a stable import. */
  hostOrder: string[];
}

export interface ResolvedHost {
  name: string;
  /** Every group the host is in, directly or through children; without `all` and `ungrouped`. */
  groups: string[];
  vars: InventoryVars;
}

/** An inventory that cannot be read; `where` is e.g. `line 12` or `all.children.web`. */
export class InventoryError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = new.target.name;
  }
}

export const IMPLICIT_GROUPS = ['all', 'ungrouped'];
const MAX_EXPANDED_HOSTS = 100_000;

export function emptyInventory(): Inventory {
  const inventory: Inventory = { groups: new Map(), hostVars: new Map(), hostOrder: [] };
  group(inventory, 'all');
  group(inventory, 'ungrouped');
  return inventory;
}

export function group(inventory: Inventory, name: string): InventoryGroup {
  let found = inventory.groups.get(name);
  if (!found) {
    found = { name, hosts: new Set(), children: new Set(), vars: {} };
    inventory.groups.set(name, found);
  }
  return found;
}

export function addHost(inventory: Inventory, groupName: string, host: string, vars: InventoryVars = {}): void {
  group(inventory, groupName).hosts.add(host);
  const known = inventory.hostVars.get(host);
  if (!known) {
    inventory.hostVars.set(host, { ...vars });
    inventory.hostOrder.push(host);
  } else {
    Object.assign(known, vars);
  }
}

export function addChild(inventory: Inventory, parent: string, child: string): void {
  group(inventory, child);
  group(inventory, parent).children.add(child);
}

/**
 * Expands Ansible host ranges: `web[01:03]` → web01 web02 web03 (leading
 * zeros kept), `db-[a:c]` → db-a db-b db-c, `n[0:10:5]` → n0 n5 n10; several
 * ranges multiply. A pattern without brackets is returned as is.
 */
export function expandHostPattern(pattern: string): string[] {
  const match = /\[([^\]]*)\]/.exec(pattern);
  if (!match) return [pattern];
  const [, body] = match;
  const range = /^([a-z]+|\d+):([a-z]+|\d+)(?::(\d+))?$/i.exec(body as string);
  if (!range) throw new Error(`host range [${body}] must look like [01:10], [a:f] or [0:10:2]`);
  const [, from, to, strideText] = range as unknown as [string, string, string, string | undefined];
  const stride = strideText === undefined ? 1 : Number(strideText);
  if (stride < 1) throw new Error(`host range [${body}]: the step must be at least 1`);
  const numeric = /^\d+$/.test(from);
  if (numeric !== /^\d+$/.test(to)) throw new Error(`host range [${body}] mixes letters and digits`);
  const items: string[] = [];
  if (numeric) {
    const start = Number(from);
    const end = Number(to);
    if (end < start) throw new Error(`host range [${body}] ends before it starts`);
    if ((end - start) / stride > MAX_EXPANDED_HOSTS) throw new Error(`host range [${body}] is too large`);
    const width = from.length > 1 && from.startsWith('0') ? from.length : 0;
    for (let i = start; i <= end; i += stride) items.push(String(i).padStart(width, '0'));
  } else {
    if (from.length !== 1 || to.length !== 1) throw new Error(`host range [${body}]: letter ranges take one letter each`);
    const start = from.charCodeAt(0);
    const end = to.charCodeAt(0);
    if (end < start) throw new Error(`host range [${body}] ends before it starts`);
    for (let c = start; c <= end; c += stride) items.push(String.fromCharCode(c));
  }
  const head = pattern.slice(0, match.index);
  const tail = pattern.slice(match.index + match[0].length);
  const expanded: string[] = [];
  for (const item of items) {
    for (const rest of expandHostPattern(tail)) expanded.push(`${head}${item}${rest}`);
    if (expanded.length > MAX_EXPANDED_HOSTS) throw new Error(`host pattern ${pattern} expands to too many hosts`);
  }
  return expanded;
}

/** Depth of each group below `all` (longest path, as Ansible orders vars); refuses cycles. */
function groupDepths(inventory: Inventory): Map<string, number> {
  const depths = new Map<string, number>();
  const visiting = new Set<string>();
  const parents = new Map<string, string[]>();
  for (const g of inventory.groups.values()) {
    for (const child of g.children) parents.set(child, [...(parents.get(child) ?? []), g.name]);
  }
  const depth = (name: string, path: string[]): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    if (name === 'all') return 0;
    if (visiting.has(name)) throw new InventoryError(`group ${name}`, `is its own ancestor (${[...path, name].join(' → ')})`);
    visiting.add(name);
    // A group no one lists as a child is a child of `all`.
    const ofParents = (parents.get(name) ?? ['all']).map((p) => depth(p, [...path, name]));
    visiting.delete(name);
    const value = 1 + Math.max(...ofParents);
    depths.set(name, value);
    return value;
  };
  for (const name of inventory.groups.keys()) depth(name, []);
  depths.set('all', 0);
  return depths;
}

/** Every host with its groups and effective vars. */
export function resolveInventory(inventory: Inventory): ResolvedHost[] {
  const depths = groupDepths(inventory);
  const parents = new Map<string, Set<string>>();
  for (const g of inventory.groups.values()) {
    for (const child of g.children) {
      if (!parents.has(child)) parents.set(child, new Set());
      parents.get(child)?.add(g.name);
    }
  }
  const ancestorsOf = (name: string, into: Set<string>): Set<string> => {
    for (const parent of parents.get(name) ?? []) {
      if (!into.has(parent)) {
        into.add(parent);
        ancestorsOf(parent, into);
      }
    }
    return into;
  };
  const direct = new Map<string, Set<string>>();
  for (const g of inventory.groups.values()) {
    for (const host of g.hosts) {
      if (!direct.has(host)) direct.set(host, new Set());
      direct.get(host)?.add(g.name);
    }
  }
  return inventory.hostOrder.map((name) => {
    const all = new Set<string>(['all']);
    for (const g of direct.get(name) ?? []) {
      all.add(g);
      ancestorsOf(g, all);
    }
    const ordered = [...all].sort((a, b) => (depths.get(a) ?? 1) - (depths.get(b) ?? 1) || a.localeCompare(b));
    const vars: InventoryVars = {};
    for (const g of ordered) Object.assign(vars, inventory.groups.get(g)?.vars ?? {});
    Object.assign(vars, inventory.hostVars.get(name) ?? {});
    return {
      name,
      groups: ordered.filter((g) => !IMPLICIT_GROUPS.includes(g)).sort(),
      vars,
    };
  });
}
