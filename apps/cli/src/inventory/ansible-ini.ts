// Reads an Ansible INI inventory:
//
//   mail.example.com                       # before any section: ungrouped
//   [web]
//   web[01:03].example.com ansible_user=deploy
//   db.example.com:2222 ansible_host=10.0.0.5
//   [web:vars]
//   http_port=8080
//   [prod:children]
//   web
//
// Host lines are split like a shell (quotes, backslashes, `#` comments), as
// Ansible's own INI plugin does; `:vars` lines are `key=value` with the rest
// of the line as the value.
import { addChild, addHost, emptyInventory, expandHostPattern, group, Inventory, InventoryError, InventoryVars } from './ansible-inventory';

type Section = { kind: 'hosts' | 'vars' | 'children'; group: string };

const SECTION = /^\[([^\]:\s]+)(?::(vars|children))?\]\s*(?:[#;].*)?$/;
const UNKNOWN_SECTION = /^\[([^\]]*)\]/;

/** Shell-like words of a host line; a `#` at the start of a word begins a comment. */
export function splitWords(line: string, where: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new InventoryError(where, `unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** `"a b"` → `a b`; `'x'` → `x`; anything else trimmed as is. */
function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** `host:2222` → host and port; a bare IPv6 literal (several colons) has no port here. */
export function splitHostPort(pattern: string): { host: string; port?: number } {
  const match = /^([^:]+):(\d{1,5})$/.exec(pattern);
  return match ? { host: match[1] as string, port: Number(match[2]) } : { host: pattern };
}

export function parseIniInventory(text: string): Inventory {
  const inventory = emptyInventory();
  let section: Section = { kind: 'hosts', group: 'ungrouped' };
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `line ${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const match = SECTION.exec(line);
      if (!match) {
        const name = UNKNOWN_SECTION.exec(line)?.[1] ?? line;
        throw new InventoryError(where, `section [${name}] must be [group], [group:vars] or [group:children]`);
      }
      section = { kind: (match[2] as 'vars' | 'children' | undefined) ?? 'hosts', group: match[1] as string };
      group(inventory, section.group);
      return;
    }
    switch (section.kind) {
      case 'vars': {
        const at = line.indexOf('=');
        if (at <= 0) throw new InventoryError(where, `expected key=value in [${section.group}:vars], got ${JSON.stringify(line)}`);
        group(inventory, section.group).vars[line.slice(0, at).trim()] = unquote(line.slice(at + 1));
        return;
      }
      case 'children': {
        const [child, ...rest] = splitWords(line, where);
        if (!child) return;
        if (rest.length > 0) throw new InventoryError(where, `expected one group name per line in [${section.group}:children]`);
        if (child === section.group) throw new InventoryError(where, `group ${child} cannot be its own child`);
        addChild(inventory, section.group, child);
        return;
      }
      case 'hosts': {
        const [pattern, ...assignments] = splitWords(line, where);
        if (!pattern) return;
        const vars: InventoryVars = {};
        for (const assignment of assignments) {
          const at = assignment.indexOf('=');
          if (at <= 0) throw new InventoryError(where, `expected key=value after the host name, got ${JSON.stringify(assignment)}`);
          vars[assignment.slice(0, at)] = assignment.slice(at + 1);
        }
        const { host, port } = splitHostPort(pattern);
        if (port !== undefined && vars.ansible_port === undefined) vars.ansible_port = String(port);
        let names: string[];
        try {
          names = expandHostPattern(host);
        } catch (error) {
          throw new InventoryError(where, (error as Error).message);
        }
        for (const name of names) addHost(inventory, section.group, name, vars);
        return;
      }
    }
  });
  return inventory;
}
