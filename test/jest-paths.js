// Maps the tsconfig "paths" aliases (@vulnzero/<lib>) for jest, so the alias
// list lives in tsconfig.json only.
const path = require('node:path');
const fs = require('node:fs');

function pathsToModuleNameMapper() {
  const raw = fs.readFileSync(path.join(__dirname, '..', 'tsconfig.json'), 'utf8');
  const { compilerOptions } = JSON.parse(raw);
  const mapper = {};
  for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
    mapper[`^${alias.replace('/', '\\/')}$`] = `<rootDir>/${target.replace(/^\.\//, '')}`;
  }
  return mapper;
}

module.exports = { pathsToModuleNameMapper };
