// Reads a V8 .cpuprofile (node --cpu-prof) and says where a window of it went:
// self time by function and by package. Sample times are on the monotonic
// clock (µs) that process.hrtime uses, so the window is the bench's own clock.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  windowMs: number;
  /** Sampled time that was not idle: the worker's CPU on this run. */
  busyMs: number;
  functions: ProfileEntry[];
  packages: ProfileEntry[];
  /** Busy time charged to the nearest VulnZero function on the stack (what our code caused, with what it called). */
  ownCallers: ProfileEntry[];
  /**
   * Busy time by the outermost library or VulnZero frame of each stack: which event drove the work
   * (ssh2 parsing a packet from sshd, pg a reply, our code resumed after an await, …).
   */
  eventSources: ProfileEntry[];
}

const SPECIAL = ['(idle)', '(program)', '(garbage collector)', '(root)'];

/** `file:///…/node_modules/@nestjs/core/x.js` → `@nestjs/core`; `node:internal/…` → `node (internal)`; our dist → `vulnzero <lib>`. */
export function packageOf(url: string, functionName: string): string {
  if (SPECIAL.includes(functionName) && !url) return functionName;
  if (!url) return '(native / V8 builtins)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] as string;
  if (url.startsWith('node:')) return 'node (runtime)';
  const ours = /\/dist\/(apps|libs)\/([^/]+)\//.exec(url);
  if (ours) return `vulnzero ${ours[1]}/${ours[2]}`;
  return url;
}

function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const trimmed = url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|dist)\//, '$1/');
  return `${trimmed}:${line + 1}`;
}

/** Self time by function and by package, counting only samples taken inside [fromUs, toUs]. */
export function summarizeCpuProfile(file: string, fromUs: number, toUs: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const ownCache = new Map<number, string>();
  const ownCallerOf = (id: number): string => {
    const cached = ownCache.get(id);
    if (cached !== undefined) return cached;
    const frame = nodes.get(id)?.callFrame;
    let found: string;
    if (!frame) found = '(no VulnZero frame: runtime, driver or timer callbacks)';
    else if (/\/dist\/(apps|libs)\//.test(frame.url))
      found = `${frame.functionName || '(anonymous)'}@${shortLocation(frame.url, frame.lineNumber)}`;
    else {
      const parent = parents.get(id);
      found = parent === undefined ? '(no VulnZero frame: runtime, driver or timer callbacks)' : ownCallerOf(parent);
    }
    ownCache.set(id, found);
    return found;
  };
  const byOwnCaller = new Map<string, number>();
  const sourceCache = new Map<number, string | null>();
  /** The package of the outermost frame that is neither runtime nor native, or null. */
  const outermostOf = (id: number): string | null => {
    if (sourceCache.has(id)) return sourceCache.get(id) ?? null;
    const parent = parents.get(id);
    const above = parent === undefined ? null : outermostOf(parent);
    const frame = nodes.get(id)?.callFrame;
    const own = frame && frame.url && !frame.url.startsWith('node:') ? packageOf(frame.url, frame.functionName) : null;
    const found = above ?? own;
    sourceCache.set(id, found);
    return found;
  };
  const bySource = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const weight = profile.timeDeltas[i + 1] ?? 0;
    if (time < fromUs || time > toUs) continue;
    const node = nodes.get(profile.samples[i] as number);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    total += weight;
    if (name === '(idle)') {
      idle += weight;
      continue;
    }
    const where = shortLocation(url, lineNumber);
    const key = `${name}@${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += weight;
    byFunction.set(key, entry);
    const pkg = packageOf(url, name);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + weight);
    const source = outermostOf(node.id) ?? (SPECIAL.includes(name) ? name : 'node (runtime) only');
    bySource.set(source, (bySource.get(source) ?? 0) + weight);
    const caller = ownCallerOf(node.id);
    byOwnCaller.set(caller, (byOwnCaller.get(caller) ?? 0) + weight);
  }
  const busy = total - idle;
  const asEntry = (name: string, where: string, us: number): ProfileEntry => ({
    name,
    where,
    selfMs: us / 1000,
    percent: busy > 0 ? (100 * us) / busy : 0,
  });
  return {
    windowMs: (toUs - fromUs) / 1000,
    busyMs: busy / 1000,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => asEntry(f.name, f.where, f.us)),
    packages: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([pkg, us]) => asEntry(pkg, '', us)),
    eventSources: [...bySource.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([source, us]) => asEntry(source, '', us)),
    ownCallers: [...byOwnCaller.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([caller, us]) => {
        const at = caller.indexOf('@');
        return at > 0 ? asEntry(caller.slice(0, at), caller.slice(at + 1), us) : asEntry(caller, '', us);
      }),
  };
}
