import {
  addressRefusal,
  clientAddressGroup,
  DEFAULT_HOST_NETWORKS,
  parseIpAddress,
  parseIpNetwork,
  parseNetworkPolicy,
} from './ip-networks';

describe('parseIpAddress', () => {
  it.each([
    { name: 'a dotted quad', text: '10.1.2.3', expected: { version: 4, bytes: [10, 1, 2, 3] } },
    { name: 'the IPv6 loopback', text: '::1', expected: { version: 6, bytes: [...Array(15).fill(0), 1] } },
    {
      name: 'a full IPv6 address',
      text: '2001:db8:0:0:0:0:0:ff01',
      expected: { version: 6, bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x01] },
    },
    {
      name: 'an IPv4-mapped IPv6 address as its IPv4 address',
      text: '::ffff:169.254.169.254',
      expected: { version: 4, bytes: [169, 254, 169, 254] },
    },
    {
      name: 'an IPv4-mapped address in hex as its IPv4 address',
      text: '::ffff:a9fe:a9fe',
      expected: { version: 4, bytes: [169, 254, 169, 254] },
    },
  ])('reads $name', ({ text, expected }) => {
    expect(parseIpAddress(text)).toEqual(expected);
  });

  it.each(['', 'example.com', '10.0.0', '10.0.0.256', '010.0.0.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', ':::', '12345::'])(
    'refuses %j',
    (text) => {
      expect(parseIpAddress(text)).toBeNull();
    },
  );
});

describe('parseIpNetwork', () => {
  it.each([
    { text: '10.0.0.0/8', prefix: 8 },
    { text: '0.0.0.0/0', prefix: 0 },
    { text: '192.0.2.7', prefix: 32 },
    { text: 'fe80::/10', prefix: 10 },
    { text: '::/0', prefix: 0 },
  ])('reads $text with prefix $prefix', ({ text, prefix }) => {
    expect(parseIpNetwork(text)?.prefix).toBe(prefix);
  });

  it.each(['10.0.0.1/8', '10.0.0.0/33', 'fe80::/129', '10.0.0.0/', '10.0.0.0/08', 'example.com/8', '10.0.0.0/8/8'])(
    'refuses %j (host bits set, prefix too long or malformed)',
    (text) => {
      expect(parseIpNetwork(text)).toBeNull();
    },
  );
});

describe('addressRefusal under HOST_NETWORKS', () => {
  const byDefault = parseNetworkPolicy(DEFAULT_HOST_NETWORKS);
  const privateOnly = parseNetworkPolicy('10.0.0.0/8, 192.168.0.0/16, !10.9.0.0/16, fd00::/8');

  it.each([
    { name: 'the default allows a public IPv4 address', policy: byDefault, address: '203.0.113.9', allowed: true },
    { name: 'the default allows loopback', policy: byDefault, address: '127.0.0.1', allowed: true },
    { name: 'the default allows an IPv6 address', policy: byDefault, address: '2001:db8::1', allowed: true },
    { name: 'the default refuses the cloud metadata address', policy: byDefault, address: '169.254.169.254', allowed: false },
    {
      name: 'the default refuses the metadata address written as IPv4-mapped IPv6',
      policy: byDefault,
      address: '::ffff:169.254.169.254',
      allowed: false,
    },
    { name: 'the default refuses IPv6 link-local', policy: byDefault, address: 'fe80::1', allowed: false },
    { name: 'the default refuses the far end of IPv6 link-local', policy: byDefault, address: 'febf:ffff::1', allowed: false },
    { name: 'the default allows the address just past IPv6 link-local', policy: byDefault, address: 'fec0::1', allowed: true },
    { name: 'a list allows an address inside it', policy: privateOnly, address: '10.1.2.3', allowed: true },
    { name: 'a list refuses an address outside it', policy: privateOnly, address: '172.16.0.1', allowed: false },
    { name: 'an exception wins over the network around it', policy: privateOnly, address: '10.9.0.5', allowed: false },
    { name: 'a list allows an IPv6 address inside it', policy: privateOnly, address: 'fd12::5', allowed: true },
    { name: 'a list of IPv4 networks refuses IPv6', policy: parseNetworkPolicy('10.0.0.0/8'), address: '::1', allowed: false },
    { name: 'a name is never allowed (only resolved addresses are checked)', policy: byDefault, address: 'example.com', allowed: false },
  ])('$name', ({ policy, address, allowed }) => {
    expect(addressRefusal(policy, address) === null).toBe(allowed);
  });

  it('says which exception or list refused an address', () => {
    expect(addressRefusal(byDefault, '169.254.169.254')).toBe('169.254.169.254 is in 169.254.0.0/16, excepted by HOST_NETWORKS');
    expect(addressRefusal(privateOnly, '172.16.0.1')).toMatch(/^172\.16\.0\.1 is outside HOST_NETWORKS \(10\.0\.0\.0\/8, /);
  });

  it.each([
    { raw: '10.0.0.0/8,nonsense', message: /"nonsense" is not a network/ },
    { raw: '!169.254.0.0/16', message: /allows no network/ },
    { raw: '', message: /allows no network/ },
  ])('refuses the list $raw', ({ raw, message }) => {
    expect(() => parseNetworkPolicy(raw)).toThrow(message);
  });
});

describe('clientAddressGroup', () => {
  it.each([
    { name: 'an IPv4 client is its own group', address: '198.51.100.7', group: '198.51.100.7' },
    { name: 'an IPv4-mapped client is its IPv4 address', address: '::ffff:198.51.100.7', group: '198.51.100.7' },
    { name: 'an IPv6 client is counted per /64', address: '2001:db8:1:2:aaaa::1', group: '2001:db8:1:2::/64' },
    { name: 'another address of the same /64 is the same group', address: '2001:db8:1:2:ffff:ffff:ffff:ffff', group: '2001:db8:1:2::/64' },
    { name: 'the next /64 is another group', address: '2001:db8:1:3::1', group: '2001:db8:1:3::/64' },
    { name: 'text that is no address is its own group', address: 'unknown', group: 'unknown' },
  ])('$name', ({ address, group }) => {
    expect(clientAddressGroup(address)).toBe(group);
  });
});
