// Reads an Ansible YAML inventory:
//
//   all:
//     vars: {ansible_user: deploy}
//     children:
//       web:
//         hosts:
//           web[01:03].example.com:
//           db.example.com: {ansible_host: 10.0.0.5, ansible_port: 2222}
//       prod:
//         children: {web: {}}
//
// Top-level keys are groups (usually just `all`); a group has `hosts`,
// `children` and `vars`, and nothing else, as Ansible's YAML plugin requires.
import { parseDocument } from 'yaml';
import { addChild, addHost, emptyInventory, expandHostPattern, group, Inventory, InventoryError, InventoryVars } from './ansible-inventory';
import { splitHostPort } from './ansible-ini';

const GROUP_KEYS = ['hosts', 'children', 'vars'];

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function parseYamlInventory(text: string): Inventory {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    const error = document.errors[0] as { message: string; linePos?: { line: number }[] };
    const line = error.linePos?.[0]?.line;
    const first = (error.message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '');
    throw new InventoryError(line ? `line ${line}` : 'YAML', first);
  }
  const root: unknown = document.toJS({ maxAliasCount: 1_000 });
  const inventory = emptyInventory();
  if (root === null || root === undefined) return inventory;
  if (!isMapping(root)) throw new InventoryError('top level', 'must be a mapping of group names (e.g. all:)');
  for (const [name, body] of Object.entries(root)) readGroup(inventory, name, body, name);
  return inventory;
}

function readGroup(inventory: Inventory, name: string, body: unknown, where: string): void {
  group(inventory, name);
  if (body === null || body === undefined) return;
  if (!isMapping(body)) throw new InventoryError(where, 'a group must be a mapping with hosts, children and/or vars');
  for (const key of Object.keys(body)) {
    if (!GROUP_KEYS.includes(key)) {
      throw new InventoryError(
        `${where}.${key}`,
        `is not a group key (expected ${GROUP_KEYS.join(', ')}); is a level of indentation missing?`,
      );
    }
  }
  const { hosts, children, vars } = body;
  if (vars !== undefined && vars !== null) {
    if (!isMapping(vars)) throw new InventoryError(`${where}.vars`, 'must be a mapping of variables');
    Object.assign(group(inventory, name).vars, vars);
  }
  if (hosts !== undefined && hosts !== null) {
    if (!isMapping(hosts)) throw new InventoryError(`${where}.hosts`, 'must be a mapping of host names (each followed by a colon)');
    for (const [pattern, hostVars] of Object.entries(hosts)) {
      const at = `${where}.hosts.${pattern}`;
      if (hostVars !== null && hostVars !== undefined && !isMapping(hostVars)) {
        throw new InventoryError(at, 'host vars must be a mapping');
      }
      const vars: InventoryVars = { ...(hostVars ?? {}) };
      const { host, port } = splitHostPort(pattern);
      if (port !== undefined && vars.ansible_port === undefined) vars.ansible_port = port;
      let names: string[];
      try {
        names = expandHostPattern(host);
      } catch (error) {
        throw new InventoryError(at, (error as Error).message);
      }
      for (const hostName of names) addHost(inventory, name, hostName, vars);
    }
  }
  if (children !== undefined && children !== null) {
    if (!isMapping(children)) throw new InventoryError(`${where}.children`, 'must be a mapping of group names');
    for (const [child, childBody] of Object.entries(children)) {
      if (child === name) throw new InventoryError(`${where}.children.${child}`, 'a group cannot be its own child');
      addChild(inventory, name, child);
      readGroup(inventory, child, childBody, `${where}.children.${child}`);
    }
  }
}
