import {
  AuditChainFields,
  AuditRow,
  canonicalAuditRow,
  ChainVerifier,
  chainHash,
  GENESIS_HASH,
  sealAuditRows,
  verifyChain,
} from './audit-chain';
import { normalizeAuditEvent } from './audit-event';

const T0 = new Date('2026-03-01T12:00:00.000Z');

function anEvent(id: number, overrides: Partial<AuditChainFields> = {}): AuditChainFields {
  return {
    ...normalizeAuditEvent(
      {
        occurredAt: new Date(T0.getTime() + id * 1000),
        actorKind: 'user',
        actorId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
        actorName: 'alice',
        action: 'POST /hosts/:id/host-key/trust',
        resourceType: 'hosts',
        resourceId: `host-${id}`,
        requestId: `req-${id}`,
        address: '127.0.0.1',
        outcome: 'success',
        statusCode: 201,
        detail: { path: `/hosts/host-${id}/host-key/trust` },
      },
      T0,
    ),
    id: String(id),
    ...overrides,
  };
}

function aChain(length: number): AuditRow[] {
  return sealAuditRows(
    GENESIS_HASH,
    Array.from({ length }, (_, index) => anEvent(index + 1)),
  );
}

describe('canonicalAuditRow', () => {
  it('writes every field in a stable order with explicit nulls and millisecond UTC time', () => {
    const text = canonicalAuditRow(anEvent(7, { actorId: null, resourceId: null, statusCode: null, detail: { b: 1, a: [true, null] } }));
    expect(text).toBe(
      'vz-audit-v1{"action":"POST /hosts/:id/host-key/trust","actorId":null,"actorKind":"user","actorName":"alice",' +
        '"address":"127.0.0.1","detail":{"a":[true,null],"b":1},"id":"7","occurredAt":"2026-03-01T12:00:07.000Z",' +
        '"outcome":"success","requestId":"req-7","resourceId":null,"resourceType":"hosts","statusCode":null}',
    );
  });

  it('gives the same text whatever order the detail keys were written in', () => {
    const one = anEvent(1, { detail: { z: { y: 1, x: 2 }, a: 'b' } });
    const two = anEvent(1, { detail: { a: 'b', z: { x: 2, y: 1 } } });
    expect(canonicalAuditRow(one)).toBe(canonicalAuditRow(two));
  });

  it.each([
    ['a string and a number that print alike', { n: '1' }, { n: 1 }],
    ['null and a missing field', { n: null }, {}],
    ['a second apart', undefined, undefined, 1000],
  ])('tells apart %s', (_name, left, right, shiftMs = 0) => {
    const a = anEvent(1, left ? { detail: left } : {});
    const b = anEvent(1, {
      ...(right ? { detail: right } : {}),
      occurredAt: new Date(a.occurredAt.getTime() + shiftMs),
    });
    expect(canonicalAuditRow(a)).not.toBe(canonicalAuditRow(b));
  });

  it('refuses numbers that have no single JSON spelling', () => {
    expect(() => canonicalAuditRow(anEvent(1, { detail: { n: Number.NaN } }))).toThrow(/finite/);
  });
});

describe('chainHash', () => {
  it('is SHA-256 hex over the previous hash, a newline and the canonical row', () => {
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const row = anEvent(1);
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}\n${canonicalAuditRow(row)}`)
      .digest('hex');
    expect(chainHash(GENESIS_HASH, row)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('starts the chain from 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(aChain(1)[0]?.prevHash).toBe(GENESIS_HASH);
  });
});

describe('verifyChain', () => {
  const tamper = (rows: AuditRow[], index: number, change: Partial<AuditRow>): AuditRow[] =>
    rows.map((row, i) => (i === index ? { ...row, ...change } : row));

  it.each<[string, (rows: AuditRow[]) => AuditRow[], { valid: boolean; checked: number; firstBrokenId?: string }]>([
    ['accepts an empty chain', () => [], { valid: true, checked: 0 }],
    ['accepts an untouched chain', (rows) => rows, { valid: true, checked: 5 }],
    [
      'names a row whose actor was changed',
      (rows) => tamper(rows, 2, { actorName: 'mallory' }),
      { valid: false, checked: 3, firstBrokenId: '3' },
    ],
    [
      'names a row whose outcome was changed',
      (rows) => tamper(rows, 1, { outcome: 'denied' }),
      { valid: false, checked: 2, firstBrokenId: '2' },
    ],
    [
      'names a row whose time moved by a millisecond',
      (rows) => tamper(rows, 3, { occurredAt: new Date(rows[3]!.occurredAt.getTime() + 1) }),
      { valid: false, checked: 4, firstBrokenId: '4' },
    ],
    [
      'names a row whose detail was changed',
      (rows) => tamper(rows, 0, { detail: { path: '/elsewhere' } }),
      { valid: false, checked: 1, firstBrokenId: '1' },
    ],
    [
      'names a row re-hashed after a change, by its successor',
      (rows) => {
        const forged = { ...rows[1]!, actorName: 'mallory' };
        return tamper(rows, 1, { actorName: 'mallory', hash: chainHash(forged.prevHash, forged) });
      },
      { valid: false, checked: 3, firstBrokenId: '3' },
    ],
    [
      'names the row after a deleted middle row',
      (rows) => rows.filter((row) => row.id !== '3'),
      { valid: false, checked: 3, firstBrokenId: '4' },
    ],
    [
      'names the first row out of place when rows are reordered',
      (rows) => [rows[0]!, rows[2]!, rows[1]!, rows[3]!, rows[4]!],
      { valid: false, checked: 2, firstBrokenId: '3' },
    ],
    ['refuses a chain that does not start at the genesis hash', (rows) => rows.slice(1), { valid: false, checked: 1, firstBrokenId: '2' }],
  ])('%s', (_name, change, expected) => {
    expect(verifyChain(change(aChain(5)))).toEqual(expected);
  });
});

describe('ChainVerifier with a pinned head', () => {
  it.each([
    { name: 'finds a head pinned earlier at its position in a longer chain', pinAt: 2, rows: (chain: AuditRow[]) => chain, expected: 3 },
    { name: 'finds the pinned head at the end of an unchanged chain', pinAt: 4, rows: (chain: AuditRow[]) => chain, expected: 5 },
    {
      name: 'does not find a pinned head whose rows were cut off the end',
      pinAt: 4,
      rows: (chain: AuditRow[]) => chain.slice(0, 3),
      expected: null,
    },
  ])('$name', ({ pinAt, rows, expected }) => {
    const chain = aChain(5);
    const pinned = chain[pinAt]!.hash;
    const verifier = new ChainVerifier(pinned);
    verifier.add(rows(chain));
    expect(verifier.result()).toEqual(expect.objectContaining({ valid: true, pinned: { hash: pinned, position: expected } }));
  });
});
