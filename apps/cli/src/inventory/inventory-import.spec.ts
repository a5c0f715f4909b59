import { ResolvedHost } from './ansible-inventory';
import { groupLabelKey, planImport } from './inventory-import';

const CREDENTIAL = '5b2e6f0a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
const aHost = (over: Partial<ResolvedHost> = {}): ResolvedHost => ({ name: 'web-01', groups: [], vars: {}, ...over });

describe('groupLabelKey', () => {
  it.each([
    ['web', 'group.web'],
    ['Database_Servers', 'group.database_servers'],
    ['eu west', 'group.eu-west'],
    ['_private', 'group.private'],
    ['x'.repeat(80), `group.${'x'.repeat(57)}`],
    ['___', null],
  ])('%s → %s', (group, key) => expect(groupLabelKey(group)).toBe(key));
});

describe('planImport', () => {
  it('registers a host at its ansible_host and ansible_port with one label per group', () => {
    const plan = planImport(
      [aHost({ groups: ['prod', 'web'], vars: { ansible_host: '10.0.0.5', ansible_port: '2222', ansible_user: 'vz' } })],
      { credentialId: CREDENTIAL, credentialUsername: 'vz' },
    );
    expect(plan).toEqual({
      hosts: [
        {
          name: 'web-01',
          address: '10.0.0.5',
          port: 2222,
          credentialId: CREDENTIAL,
          labels: { 'group.prod': 'true', 'group.web': 'true' },
        },
      ],
      warnings: [],
      errors: [],
    });
  });

  it('uses the inventory name as the address and 22 as the port by default', () => {
    const plan = planImport([aHost({ name: 'db.example.com' })], { credentialId: CREDENTIAL });
    expect(plan.hosts[0]).toEqual(expect.objectContaining({ address: 'db.example.com', port: 22, labels: {} }));
  });

  it('warns, once per user, when ansible_user differs from the credential username', () => {
    const plan = planImport(
      [
        aHost({ name: 'a', vars: { ansible_user: 'deploy' } }),
        aHost({ name: 'b', vars: { ansible_user: 'deploy' } }),
        aHost({ name: 'c' }),
      ],
      { credentialId: CREDENTIAL, credentialUsername: 'vz' },
    );
    expect(plan.hosts).toHaveLength(3);
    expect(plan.warnings).toEqual([`ansible_user deploy (a, b) differs from the credential's username vz: VulnZero logs in as vz`]);
  });

  it('says how a group name was changed to fit a label key', () => {
    const plan = planImport([aHost({ groups: ['Database_Servers'] })], { credentialId: CREDENTIAL });
    expect(plan.hosts[0]?.labels).toEqual({ 'group.database_servers': 'true' });
    expect(plan.warnings).toEqual(['group "Database_Servers" becomes label group.database_servers=true']);
  });

  it('copies only the variables asked for into labels, and adds the extra labels last', () => {
    const plan = planImport([aHost({ groups: ['web'], vars: { env: 'prod', ansible_password: 'secret', tier: 2 } })], {
      credentialId: CREDENTIAL,
      labelVars: ['env', 'tier', 'missing'],
      extraLabels: { source: 'ansible', env: 'override' },
    });
    expect(plan.hosts[0]?.labels).toEqual({ 'group.web': 'true', env: 'override', tier: '2', source: 'ansible' });
  });

  it('names every host that cannot be registered and why, registering none of them', () => {
    const plan = planImport(
      [
        aHost({ name: 'bad name' }),
        aHost({ name: 'h2', vars: { ansible_host: 'not_an address' } }),
        aHost({ name: 'h3', vars: { ansible_port: '70000' } }),
        aHost({ name: 'h4', vars: { ansible_port: 'ssh' } }),
        aHost({ name: 'H2' }),
        aHost({ name: 'h5', vars: { role: { nested: true } } }),
      ],
      { credentialId: CREDENTIAL, labelVars: ['role'] },
    );
    expect(plan.errors).toEqual([
      expect.stringMatching(/^host bad name: name must be 1-128 characters/),
      expect.stringMatching(/^host h2: address "not_an address" /),
      expect.stringMatching(/^host h3: ansible_port "70000" must be an integer from 1 to 65535/),
      expect.stringMatching(/^host h4: ansible_port "ssh" must be an integer/),
      'host H2: name clashes with h2 (host names are case-insensitive)',
      'host h5: variable role is not a plain value and cannot become a label',
    ]);
  });

  it('refuses a host in more groups than it may carry labels', () => {
    const groups = Array.from({ length: 40 }, (_, i) => `g${i}`);
    const plan = planImport([aHost({ groups })], { credentialId: CREDENTIAL });
    expect(plan.errors).toEqual([expect.stringContaining('would get 40 labels, more than the 32')]);
  });
});
