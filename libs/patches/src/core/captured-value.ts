// What a capture's stdout becomes: the bytes between its surrounding ASCII
// whitespace, exactly. A value no shell variable can hold (a NUL byte) or one
// cut at the output bound fails the capture, so the host fails before apply
// rather than storing a way back built from a different value.

/** A capture's stdout may be at most this long (the bound kept per command stream). */
export const CAPTURE_MAX_BYTES = 64 * 1024;

/** The form of a stored captured value that is not plain UTF-8 text. */
export const BASE64_MARKER = 'base64:';

/** A capture whose output cannot become a value: the host fails before apply with this message. */
export class CaptureRefusedError extends Error {
  constructor(
    readonly captureName: string,
    readonly reason: string,
  ) {
    super(`capture ${captureName}: ${reason}`);
    this.name = new.target.name;
  }
}

// Space, tab, LF, VT, FF, CR: what `trim` meant for the values captured so far
// (package versions, unit names), now on bytes so no other byte is touched.
function isAsciiSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

/**
 * The value of capture `name` from its stdout: surrounding ASCII whitespace
 * trimmed, every other byte kept. `totalBytes` is how many bytes the command
 * printed (more than `stdout` holds when the stream was cut).
 */
export function capturedValue(name: string, stdout: Uint8Array, totalBytes: number, maxBytes = CAPTURE_MAX_BYTES): Buffer {
  if (totalBytes > maxBytes || stdout.length > maxBytes) {
    throw new CaptureRefusedError(name, `output over ${maxBytes} bytes (${totalBytes} printed): a cut value would make a wrong rollback`);
  }
  let start = 0;
  let end = stdout.length;
  while (start < end && isAsciiSpace(stdout[start] as number)) start++;
  while (end > start && isAsciiSpace(stdout[end - 1] as number)) end--;
  const value = Buffer.from(stdout.subarray(start, end));
  const nul = value.indexOf(0);
  if (nul >= 0) throw new CaptureRefusedError(name, `output holds a NUL byte (at byte ${start + nul}), which no shell variable can hold`);
  return value;
}

/** True when `bytes` is well-formed UTF-8 (so it round-trips through a JavaScript string). */
export function isUtf8Text(bytes: Uint8Array): boolean {
  return Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(bytes);
}

/**
 * How a captured value is stored with the host's deployment record (jsonb
 * text): as itself when it is UTF-8 text, otherwise `base64:` followed by its
 * bytes in base64. A text value that itself begins with `base64:` is stored
 * encoded too, so every stored form means exactly one value.
 */
export function storedCapturedValue(value: Uint8Array): string {
  const bytes = Buffer.from(value);
  if (isUtf8Text(bytes)) {
    const text = bytes.toString('utf8');
    if (!text.startsWith(BASE64_MARKER)) return text;
  }
  return `${BASE64_MARKER}${bytes.toString('base64')}`;
}

/** The bytes of a value stored by `storedCapturedValue`. */
export function capturedValueBytes(stored: string): Buffer {
  if (stored.startsWith(BASE64_MARKER)) return Buffer.from(stored.slice(BASE64_MARKER.length), 'base64');
  return Buffer.from(stored, 'utf8');
}
