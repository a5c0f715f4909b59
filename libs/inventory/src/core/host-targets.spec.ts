import { CheckedTargets, checkHostTargets, HostTargets } from './host-targets';

const id = '0b7c3c1e-5d0e-4b8e-9a4f-1f2e3d4c5b6a';

describe('checkHostTargets', () => {
  it.each<{ name: string; targets: HostTargets; expected: CheckedTargets }>([
    { name: 'neither', targets: {}, expected: { kind: 'invalid', problems: ['targets: give exactly one of hostIds or labels'] } },
    {
      name: 'both',
      targets: { hostIds: [id], labels: { a: 'b' } },
      expected: { kind: 'invalid', problems: ['targets: give exactly one of hostIds or labels'] },
    },
    {
      name: 'no ids',
      targets: { hostIds: [] },
      expected: { kind: 'invalid', problems: ['targets.hostIds: must be a non-empty array of host ids'] },
    },
    { name: 'a malformed id', targets: { hostIds: ['x'] }, expected: { kind: 'invalid', problems: ['targets.hostIds: not UUIDs: "x"'] } },
    { name: 'ids, upper case and repeated', targets: { hostIds: [id.toUpperCase(), id] }, expected: { kind: 'ids', ids: [id] } },
    {
      name: 'no label',
      targets: { labels: {} },
      expected: { kind: 'invalid', problems: ['targets.labels: must name at least one label'] },
    },
    { name: 'labels', targets: { labels: { role: 'web' } }, expected: { kind: 'labels', labels: { role: 'web' } } },
  ])('$name', ({ targets, expected }) => {
    expect(checkHostTargets(targets)).toEqual(expected);
  });
});
