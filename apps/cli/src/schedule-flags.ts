import { UsageError } from './cli-errors';

/** `--window` (a name, or a JSON window) and `--not-before`, as the request's fields; the gateway validates them. */
export function scheduleFlags(window: string | undefined, notBefore: string | undefined): { window?: unknown; notBefore?: string } {
  const fields: { window?: unknown; notBefore?: string } = {};
  if (window !== undefined) {
    if (window.trim().startsWith('{')) {
      try {
        fields.window = JSON.parse(window);
      } catch (error) {
        throw new UsageError(`--window: not valid JSON (${(error as Error).message})`);
      }
    } else if (window.trim() === '') {
      throw new UsageError('--window: give a window name or a JSON window');
    } else {
      fields.window = window.trim();
    }
  }
  if (notBefore !== undefined) fields.notBefore = notBefore;
  return fields;
}
