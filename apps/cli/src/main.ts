// Entry point of the `vulnzero` command (bin/vulnzero.js runs the built file).
import { runCli } from './cli';

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
  process.exitCode = code;
}

if (require.main === module) void main();
