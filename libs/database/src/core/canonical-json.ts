// One text per value, for hashing what is stored: the audit chain's rows, a
// deployment request's body (its idempotency check).

/** A value canonical JSON takes: what JSON holds, with `undefined` where an object's key may be absent. */
export type CanonicalJsonValue =
  null | boolean | number | string | undefined | readonly CanonicalJsonValue[] | { readonly [key: string]: CanonicalJsonValue };

/**
 * JSON with object keys sorted (recursively), no whitespace, and only finite
 * numbers; the same value always gives the same text.
 *
 * As `JSON.stringify` does, a key whose value is `undefined` is left out and
 * `undefined` in an array is written `null`; -0 is written `0`. A number with
 * no single JSON spelling (NaN, ±Infinity) throws a TypeError rather than be
 * written `null`, which would make two values one text.
 *
 *   canonicalJson({ b: [1, 'x'], a: null })  // '{"a":null,"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON holds finite numbers only, got ${value}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object)
        .filter((key) => object[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no text for a ${typeof value}`);
  }
}
