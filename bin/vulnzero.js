#!/usr/bin/env node
'use strict';
// The `vulnzero` command: runs the compiled CLI from dist/ (npm run build).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`vulnzero: needs Node.js 20.19 or newer, this is ${process.versions.node}\n`);
  process.exit(2);
}

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(
    `vulnzero: the command is not built (${entry} is missing).\n` +
      `Build it first: cd ${root} && npm ci && npm run build\n`,
  );
  process.exit(2);
}

require(entry).main();
