import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// The runtime floor is package.json's `engines.node`; `npm test` (scripts/test.sh,
// which installs Node 24 when the machine's node is older) sets
// VZ_REQUIRE_NODE so that a suite run on an older node fails here.
const engines = (JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { engines: { node: string } }).engines
  .node;
const floorMajor = Number(/^>=(\d+)/.exec(engines)?.[1]);
const major = (version: string): number => Number(version.split('.')[0]);

describe('Node.js runtime', () => {
  it('asks for Node 24 LTS or newer in package.json engines', () => {
    expect(floorMajor).toBeGreaterThanOrEqual(24);
  });

  (process.env.VZ_REQUIRE_NODE ? it : it.skip)(`runs the suites on a node that meets engines (${engines})`, () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(floorMajor);
  });
});
