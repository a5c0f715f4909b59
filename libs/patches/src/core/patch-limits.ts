// The bounds of a patch definition, shared by its validation and the gateway's DTOs.
export const PATCH_LIMITS = {
  nameLength: 200,
  commandBytes: 8 * 1024,
  applyCommands: 50,
  rollbackCommands: 50,
  captureKeys: 20,
  captureNameLength: 100,
  healthChecks: 20,
  httpPathLength: 2048,
  timeoutSeconds: { min: 1, max: 86_400, default: 300 },
  checkTimeoutSeconds: { min: 1, max: 3600, default: 30 },
} as const;
