import {
  duplicateNames,
  connectionChanges,
  hostKeyAfterPatch,
  HostPatch,
  validateHostBatch,
  validateHostDraft,
  validateHostPatch,
} from './host-input';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILCkrllHwkkhcVchipunWON7tn6NewqjkXzLjzNwnne4';
const FP_A = 'SHA256:O3gOzqxfv92KS4r3fxyWbdJWQ2kZeKJBKooyRG4rcM0';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDv3QG9K3Hca3KOUOWa92CsB36J4ytq6C0/1NX/V0ZWq';
const FP_B = 'SHA256:Zpd/CIN9T029wPnnYsST3HsHOI5DJUzJ9c7UkRbIpCQ';
const CREDENTIAL = '7d3c1f0e-2b7a-4c55-9a3e-0d1f2a3b4c5d';

function aHost(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'web-01', address: '10.0.0.1', credentialId: CREDENTIAL, ...overrides };
}

function errorsOf(result: { ok: boolean; errors?: string[] }): string[] {
  return result.ok ? [] : (result.errors as string[]);
}

describe('a single host registration', () => {
  it('fills in port 22 and no labels, and leaves the host unpinned without hostKey', () => {
    expect(validateHostDraft(aHost())).toEqual({
      ok: true,
      value: { name: 'web-01', address: '10.0.0.1', port: 22, credentialId: CREDENTIAL, labels: {}, hostKey: null },
    });
  });

  it('normalizes the host key to "type base64" and fingerprints it like ssh-keygen -l', () => {
    const result = validateHostDraft(aHost({ hostKey: `  ${KEY_A} root@web-01 `, port: 2222, address: 'Web-01.Example' }));
    expect(result).toMatchObject({
      ok: true,
      value: { port: 2222, address: 'web-01.example', hostKey: { line: KEY_A, fingerprint: FP_A } },
    });
  });

  it.each([
    ['missing name', { name: undefined }, ['name: is required']],
    ['bad name', { name: '-web' }, [expect.stringMatching(/^name: must be 1-128 characters/)]],
    ['name too long', { name: 'a'.repeat(129) }, [expect.stringMatching(/^name: /)]],
    ['missing address', { address: undefined }, ['address: is required']],
    ['bad address', { address: '10.0.0.300' }, [expect.stringMatching(/^address: is not a valid IPv4/)]],
    ['port as a string', { port: '22' }, ['port: must be an integer from 1 to 65535']],
    ['port 0', { port: 0 }, ['port: must be an integer from 1 to 65535']],
    ['port 65536', { port: 65536 }, ['port: must be an integer from 1 to 65535']],
    ['fractional port', { port: 22.5 }, ['port: must be an integer from 1 to 65535']],
    ['credentialId not a UUID', { credentialId: 'abc' }, ['credentialId: must be a UUID']],
    ['labels as an array', { labels: ['web'] }, ['labels: must be an object of string keys to string values']],
    ['a bad label value', { labels: { role: 5 } }, ['labels: role: value must be a string']],
    [
      'hostKey of an unknown type',
      { hostKey: 'ssh-dss AAAA' },
      [expect.stringMatching(/^hostKey: is not a valid OpenSSH public key line: unsupported key type/)],
    ],
    [
      'hostKey with truncated data',
      { hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA' },
      [expect.stringMatching(/^hostKey: is not a valid/)],
    ],
    ['hostKey as a number', { hostKey: 1 }, [expect.stringMatching(/^hostKey: must be an OpenSSH public key line/)]],
    ['an unknown field', { role: 'web' }, ['role: is not an allowed field']],
  ])('names the field when given %s', (_what, overrides, errors) => {
    expect(errorsOf(validateHostDraft(aHost(overrides)))).toEqual(errors);
  });

  it('refuses a body that is not an object', () => {
    expect(errorsOf(validateHostDraft('web-01'))).toEqual(['body: must be an object']);
  });
});

describe('a batch of host registrations', () => {
  it('accepts a valid batch in order', () => {
    const result = validateHostBatch([aHost({ name: 'a' }), aHost({ name: 'b', hostKey: KEY_B })]);
    expect(result.ok && result.value.map((h) => [h.name, h.hostKey?.fingerprint ?? null])).toEqual([
      ['a', null],
      ['b', FP_B],
    ]);
  });

  it('names every bad item by index and field, all at once', () => {
    const batch = [
      aHost({ name: 'ok-0' }),
      aHost({ name: 'bad one', port: 0 }),
      aHost({ name: 'ok-2' }),
      aHost({ name: 'ok-3', address: 'not_an_address' }),
      'not an object',
      aHost({ name: 'ok-5', labels: { Env: 'x' }, extra: true }),
    ];
    expect(errorsOf(validateHostBatch(batch))).toEqual([
      expect.stringMatching(/^hosts\[1\]\.name: must be/),
      'hosts[1].port: must be an integer from 1 to 65535',
      expect.stringMatching(/^hosts\[3\]\.address: must be an IPv4 address, an IPv6 address or a DNS name/),
      'hosts[4]: must be an object',
      'hosts[5].extra: is not an allowed field',
      expect.stringMatching(/^hosts\[5\]\.labels: key "Env": key must be/),
    ]);
  });

  it.each([
    ['not an array', { hosts: [] }, 'hosts: must be an array'],
    ['empty', [], 'hosts: must hold at least one host'],
    ['over 1,000 hosts', Array.from({ length: 1001 }, (_, i) => aHost({ name: `h${i}` })), 'hosts: at most 1000 hosts per call, got 1001'],
  ])('refuses a batch that is %s', (_what, batch, error) => {
    expect(errorsOf(validateHostBatch(batch))).toEqual([error]);
  });

  it('accepts exactly 1,000 hosts', () => {
    expect(validateHostBatch(Array.from({ length: 1000 }, (_, i) => aHost({ name: `h${i}` }))).ok).toBe(true);
  });

  it('finds names given twice, case-insensitively, with every index', () => {
    expect(duplicateNames(['a', 'b', 'A', 'c', 'b', 'a'])).toEqual([
      { name: 'a', indexes: [0, 2, 5] },
      { name: 'b', indexes: [1, 4] },
    ]);
    expect(duplicateNames(['a', 'b'])).toEqual([]);
  });
});

describe('a host update (PATCH)', () => {
  it.each([
    ['an empty patch', {}, {}],
    ['new labels', { labels: { env: 'prod' } }, { labels: { env: 'prod' } }],
    ['an explicit unpin', { hostKey: null }, { hostKey: null }],
    ['a new key', { hostKey: KEY_B }, { hostKey: { line: KEY_B, fingerprint: FP_B } }],
  ])('accepts %s', (_what, body, patch) => {
    expect(validateHostPatch(body)).toEqual({ ok: true, value: patch });
  });

  it.each([
    ['a null name', { name: null }, [expect.stringMatching(/^name: must be a string/)]],
    ['a null port', { port: null }, ['port: must be an integer from 1 to 65535']],
    ['null labels', { labels: null }, ['labels: must be an object of string keys to string values']],
    ['an unknown field', { id: CREDENTIAL }, ['id: is not an allowed field']],
  ])('refuses %s', (_what, body, errors) => {
    expect(errorsOf(validateHostPatch(body))).toEqual(errors);
  });
});

describe('what a PATCH does to the pinned host key', () => {
  const pinned = { address: '10.0.0.1', port: 22, hostKey: { line: KEY_A, fingerprint: FP_A } };
  const unpinned = { ...pinned, hostKey: null };
  const keyB = { line: KEY_B, fingerprint: FP_B };

  it.each<[string, typeof pinned | typeof unpinned, HostPatch, { hostKey: unknown; changed: boolean }]>([
    ['keeps the pin when only labels change', pinned, { labels: { a: 'b' } }, { hostKey: pinned.hostKey, changed: false }],
    [
      'keeps the pin when the address is sent unchanged',
      pinned,
      { address: '10.0.0.1', port: 22 },
      { hostKey: pinned.hostKey, changed: false },
    ],
    ['unpins when the address moves', pinned, { address: '10.0.0.2' }, { hostKey: null, changed: true }],
    ['unpins when the port moves', pinned, { port: 2222 }, { hostKey: null, changed: true }],
    ['pins the new key sent with a move', pinned, { address: '10.0.0.2', hostKey: keyB }, { hostKey: keyB, changed: true }],
    ['re-pins the same key without a change', pinned, { hostKey: pinned.hostKey }, { hostKey: pinned.hostKey, changed: false }],
    ['unpins on hostKey: null', pinned, { hostKey: null }, { hostKey: null, changed: true }],
    ['leaves an unpinned host unpinned when it moves', unpinned, { address: '10.0.0.2' }, { hostKey: null, changed: false }],
    ['pins an unpinned host given a key', unpinned, { hostKey: keyB }, { hostKey: keyB, changed: true }],
  ])('%s', (_what, current, patch, expected) => {
    expect(hostKeyAfterPatch(current, patch)).toEqual(expected);
  });
});

describe('which connection fields a PATCH changes (refused while a deployment holds the host)', () => {
  const current = { address: '10.0.0.1', port: 22, hostKey: { line: KEY_A, fingerprint: FP_A }, credentialId: CREDENTIAL };
  const other = '6f1c7f4e-3d6a-4c55-9a0e-2b1f3c4d5e6f';

  it.each<{ name: string; patch: HostPatch; expected: ReturnType<typeof connectionChanges> }>([
    { name: 'none for a new name and labels', patch: { name: 'web-9', labels: { a: 'b' } }, expected: [] },
    {
      name: 'none for the same address, port, key and credential sent again',
      patch: { address: '10.0.0.1', port: 22, hostKey: current.hostKey, credentialId: CREDENTIAL },
      expected: [],
    },
    { name: 'the address and the key it unpins on a move', patch: { address: '10.0.0.2' }, expected: ['address', 'hostKey'] },
    { name: 'the port and the key it unpins', patch: { port: 2222 }, expected: ['port', 'hostKey'] },
    { name: 'the key alone', patch: { hostKey: { line: KEY_B, fingerprint: FP_B } }, expected: ['hostKey'] },
    { name: 'the key on an explicit unpin', patch: { hostKey: null }, expected: ['hostKey'] },
    { name: 'the credential', patch: { credentialId: other }, expected: ['credentialId'] },
  ])('$name', ({ patch, expected }) => {
    expect(connectionChanges(current, patch)).toEqual(expected);
  });
});
