// The sample patch of the file-based fleet (test/fleet's SshFleet): each host's
// `app/version` goes from 1.0 to 2.0, its health is whatever `app/health` says.
// One home for every suite, the demo and the chaos script; options give each
// its variant (a slow apply, a host that breaks, a rollback that logs).

export const APP_VERSION = 'app/version';
export const APP_HEALTH = 'app/health';

export interface FilePatchOptions {
  /** Also capture `app/health` and put it back on rollback. */
  restoresHealth?: boolean;
  /** Commands before the version is written (e.g. a slow apply). */
  applyBefore?: string[];
  /** Commands after the version is written. */
  extraApply?: string[];
  /** Commands before the version is restored. */
  rollbackBefore?: string[];
  /** Commands after the version (and health) is restored. */
  extraRollback?: string[];
  /** The health check's timeout in seconds; `false`: the patch has no health check. */
  healthSeconds?: number | false;
  timeoutSeconds?: number;
  /** The capture's name for the old version (`{{previousVersion}}` by default). */
  versionCapture?: string;
}

export function filePatch(name: string, options: FilePatchOptions = {}) {
  const version = options.versionCapture ?? 'previousVersion';
  return {
    name,
    capture: {
      [version]: 'cat "$VZ_STATE_DIR/app/version"',
      ...(options.restoresHealth ? { previousHealth: 'cat "$VZ_STATE_DIR/app/health"' } : {}),
    },
    apply: [...(options.applyBefore ?? []), 'printf %s 2.0 > "$VZ_STATE_DIR/app/version"', ...(options.extraApply ?? [])],
    rollback: [
      ...(options.rollbackBefore ?? []),
      `printf %s {{${version}}} > "$VZ_STATE_DIR/app/version"`,
      ...(options.restoresHealth ? ['printf %s {{previousHealth}} > "$VZ_STATE_DIR/app/health"'] : []),
      ...(options.extraRollback ?? []),
    ],
    verify: 'grep -qx 2.0 "$VZ_STATE_DIR/app/version"',
    ...(options.healthSeconds === false
      ? {}
      : {
          healthChecks: [
            { type: 'command', command: 'test "$(cat "$VZ_STATE_DIR/app/health")" = ok', timeoutSeconds: options.healthSeconds ?? 2 },
          ],
        }),
    timeoutSeconds: options.timeoutSeconds ?? 30,
  };
}

/** An apply command that breaks the health of the host named `hostName` (its `VZ_HOST_NAME`). */
export function breakHealthOn(hostName: string): string {
  return `if [ "$VZ_HOST_NAME" = ${hostName} ]; then printf broken > "$VZ_STATE_DIR/app/health"; fi`;
}
