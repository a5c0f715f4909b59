import { quoteShellArg } from '../../../ssh/src/core/shell-quote';

// Health checks made "from the host" run over SSH; these build their commands.
// Ports are validated integers and paths are quoted, so nothing from a patch
// reaches the shell unquoted.

export function hostHttpCheckCommand(port: number, path: string, timeoutSeconds: number): string {
  assertPort(port);
  const url = `http://127.0.0.1:${port}${path}`;
  return `curl -sS -o /dev/null -w '%{http_code}' --max-time ${Math.max(1, Math.ceil(timeoutSeconds))} ${quoteShellArg(url)}`;
}

export function hostTcpCheckCommand(port: number, timeoutSeconds: number): string {
  assertPort(port);
  return `timeout ${Math.max(1, Math.ceil(timeoutSeconds))} bash -c ${quoteShellArg(`exec 3<>/dev/tcp/127.0.0.1/${port}`)}`;
}

function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port}`);
}

/** `[v6]` in a URL, the address itself otherwise. */
export function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
