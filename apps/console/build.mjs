// Bundles the web console into dist/console/: content-hashed JS and CSS under
// assets/ and an index.html that only references them (the gateway's CSP
// forbids inline script and style). Run by `npm run build`.
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '../../dist/console');

await rm(outDir, { recursive: true, force: true });
await mkdir(join(outDir, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src/main.tsx') },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`console build produced no ${js ? 'CSS' : 'JS'} bundle`);

// A favicon of our own, or the browser asks for /favicon.ico and logs a 404.
const icon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#16202c"/><path d="M3 4l5 9 5-9" stroke="#1e8e3e" stroke-width="2.2" fill="none"/></svg>';
const iconName = `favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8).toUpperCase()}.svg`;
await writeFile(join(outDir, 'assets', iconName), icon);

await writeFile(
  join(outDir, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VulnZero console</title>
<link rel="icon" type="image/svg+xml" href="/ui/assets/${iconName}">
<link rel="stylesheet" href="/ui/assets/${css}">
<script type="module" src="/ui/assets/${js}"></script>
</head>
<body>
<div id="app"><noscript>The VulnZero console needs JavaScript.</noscript></div>
</body>
</html>
`,
);
process.stdout.write(`console built: dist/console/assets/${js}, ${css}\n`);
