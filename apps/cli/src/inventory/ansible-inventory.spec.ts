import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandHostPattern, resolveInventory, ResolvedHost } from './ansible-inventory';
import { parseIniInventory, splitWords } from './ansible-ini';
import { parseYamlInventory } from './ansible-yaml';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'inventory');
const byName = (hosts: ResolvedHost[]) => new Map(hosts.map((h) => [h.name, h]));

describe('expandHostPattern', () => {
  it.each([
    ['web-01.example.com', ['web-01.example.com']],
    ['web[01:03]', ['web01', 'web02', 'web03']],
    ['web[8:11]', ['web8', 'web9', 'web10', 'web11']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['n[0:10:5]', ['n0', 'n5', 'n10']],
    ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
  ])('expands %s', (pattern, hosts) => expect(expandHostPattern(pattern)).toEqual(hosts));

  it.each([
    ['w[3:1]', /ends before it starts/],
    ['w[1:b]', /mixes letters and digits/],
    ['w[1-3]', /must look like/],
    ['w[0:9:0]', /step must be at least 1/],
  ])('refuses %s', (pattern, message) => expect(() => expandHostPattern(pattern)).toThrow(message));
});

describe('splitWords', () => {
  it('splits like a shell, with quotes and comments', () =>
    expect(splitWords(`h a="x y" b='z' c=d\\ e # note`, 'line 1')).toEqual(['h', 'a=x y', 'b=z', 'c=d e']));
  it('refuses an unterminated quote', () => expect(() => splitWords('h a="x', 'line 3')).toThrow('line 3: unterminated " quote'));
});

describe.each([
  ['INI', () => parseIniInventory(readFileSync(join(FIXTURES, 'hosts.ini'), 'utf8')), 'Database_Servers', 'com'],
  ['YAML', () => parseYamlInventory(readFileSync(join(FIXTURES, 'hosts.yml'), 'utf8')), 'databases', 'org'],
])('the %s fixture', (_format, read, dbGroup, tld) => {
  const resolved = resolveInventory(read());
  const hosts = new Map([...byName(resolved)].map(([name, host]) => [name.replace(`.example.${tld}`, '.example.com'), host]));

  it('lists every host once, ranges expanded', () =>
    expect([...hosts.keys()].sort()).toEqual([
      'api.example.com',
      'bastion.example.com',
      'db-01.example.com',
      'web-01.example.com',
      'web-02.example.com',
    ]));

  it('puts each host in its groups and their parents, without all/ungrouped', () => {
    expect(hosts.get('web-01.example.com')?.groups).toEqual(['prod', 'web']);
    expect(hosts.get('db-01.example.com')?.groups).toEqual([dbGroup, 'prod'].sort());
    expect(hosts.get('bastion.example.com')?.groups).toEqual([]);
  });

  it('gives host vars precedence over group vars, and group vars over all vars', () => {
    expect(hosts.get('web-02.example.com')?.vars).toEqual(expect.objectContaining({ ansible_user: 'vz', env: 'prod' }));
    expect(hosts.get('db-01.example.com')?.vars).toEqual(
      expect.objectContaining({ ansible_host: '10.9.0.30', env: 'staging', ansible_user: 'vz' }),
    );
    expect(String(hosts.get('db-01.example.com')?.vars.ansible_port)).toBe('2201');
  });

  it('reads host:port as the port and ansible_host as the address', () => {
    expect(String(hosts.get('api.example.com')?.vars.ansible_port)).toBe('2200');
    expect(hosts.get('api.example.com')?.vars.ansible_host).toBe('10.9.0.20');
  });
});

describe('inventory errors name the place', () => {
  it.each([
    ['[web:hosts]\nh1', 'line 1: section [web:hosts] must be'],
    ['[web]\nh1 user', 'line 2: expected key=value after the host name, got "user"'],
    ['[web:vars]\njust-a-word', 'line 2: expected key=value in [web:vars]'],
    ['[a:children]\nb\n[b:children]\na', 'is its own ancestor'],
  ])('INI %j', (text, message) => expect(() => resolveInventory(parseIniInventory(text))).toThrow(message));

  it.each([
    ['all:\n  host:\n    h1:', 'all.host: is not a group key'],
    ['- h1\n- h2', 'top level: must be a mapping'],
    ['all:\n  hosts:\n    - h1', 'all.hosts: must be a mapping of host names'],
    ['all:\n  hosts: {a: 1, a: 2}', 'line 2'],
  ])('YAML %j', (text, message) => expect(() => parseYamlInventory(text)).toThrow(message));
});
