import { addressProblem, isDnsName, isIPv4Address, isIPv6Address } from './address';

describe('host addresses', () => {
  it.each([
    ['an IPv4 address', '10.0.4.21'],
    ['the IPv4 loopback', '127.63.0.1'],
    ['IPv4 with 255 octets', '255.255.255.255'],
    ['IPv4 zeros', '0.0.0.0'],
    ['a short IPv6 address', '::1'],
    ['a full IPv6 address', '2001:0db8:0000:0000:0000:ff00:0042:8329'],
    ['a compressed IPv6 address', '2001:db8::ff00:42:8329'],
    ['IPv4-mapped IPv6', '::ffff:192.0.2.128'],
    ['a single-label DNS name', 'localhost'],
    ['a fully qualified DNS name', 'web-01.eu-west.example.com'],
    ['a DNS name starting with a digit (RFC 1123)', '3com.example'],
    ['mixed case DNS name', 'Web01.Example.COM'],
    ['a 63-character label', `${'a'.repeat(63)}.example`],
    ['a 253-character name', `${'a'.repeat(61)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`],
  ])('accepts %s (%s)', (_what, address) => {
    expect(addressProblem(address)).toBeNull();
  });

  it.each([
    ['not a string', 42, /must be a string/],
    ['empty', '', /must not be empty/],
    ['padded with spaces', ' 10.0.0.1', /leading or trailing spaces/],
    ['an IPv4 octet over 255', '10.0.0.256', /not a valid IPv4/],
    ['an IPv4 with leading zeros', '10.0.0.010', /not a valid IPv4/],
    ['three IPv4 octets', '10.0.1', /not a valid IPv4/],
    ['five IPv4 octets', '1.2.3.4.5', /not a valid IPv4/],
    ['an address with a port', '10.0.0.1:22', /port goes in the port field/],
    ['a bracketed IPv6 address', '[::1]', /without brackets/],
    ['an IPv6 zone id', 'fe80::1%eth0', /zone ids/],
    ['a bad IPv6 address', '2001:db8:::1', /not a valid IPv6/],
    ['an underscore in a DNS name', 'web_01.example', /DNS name/],
    ['a label starting with a hyphen', '-web.example', /DNS name/],
    ['a label ending with a hyphen', 'web-.example', /DNS name/],
    ['an empty label', 'web..example', /DNS name/],
    ['a trailing dot', 'web.example.', /DNS name/],
    ['a 64-character label', `${'a'.repeat(64)}.example`, /DNS name/],
    ['a name over 253 characters', `${'a.'.repeat(127)}ab`, /at most 253/],
    ['an all-numeric top-level label', 'host.123', /DNS name/],
    ['a URL', 'ssh://web-01', /DNS name|IPv6/],
    ['a space inside', 'web 01', /DNS name/],
    ['unicode', 'wéb.example', /DNS name/],
  ])('refuses %s', (_what, address, message) => {
    expect(addressProblem(address)).toMatch(message);
  });

  it('tells the three kinds apart', () => {
    expect([isIPv4Address('192.0.2.1'), isIPv6Address('192.0.2.1'), isDnsName('192.0.2.1')]).toEqual([true, false, false]);
    expect([isIPv4Address('::1'), isIPv6Address('::1'), isDnsName('::1')]).toEqual([false, true, false]);
    expect([isIPv4Address('db.example'), isIPv6Address('db.example'), isDnsName('db.example')]).toEqual([false, false, true]);
  });
});
