import { CAPTURE_MAX_BYTES, CaptureRefusedError, capturedValue, capturedValueBytes, storedCapturedValue } from './captured-value';

const bytes = (...values: number[]) => Buffer.from(values);

describe('capturedValue', () => {
  it.each<{ name: string; stdout: Buffer; expected: Buffer }>([
    { name: 'trims a trailing newline', stdout: Buffer.from('3.0.11-1~deb12u2\n'), expected: Buffer.from('3.0.11-1~deb12u2') },
    {
      name: 'trims surrounding ASCII whitespace of every kind',
      stdout: Buffer.from(' \t\r\n\v\fv 1\f\v\n\r\t '),
      expected: Buffer.from('v 1'),
    },
    { name: 'keeps whitespace inside the value', stdout: Buffer.from('a\n\tb'), expected: Buffer.from('a\n\tb') },
    {
      name: 'keeps a non-breaking space, which is not ASCII whitespace',
      stdout: Buffer.from('\u00a0x\u00a0'),
      expected: Buffer.from('\u00a0x\u00a0'),
    },
    { name: 'keeps bytes that are not UTF-8 exactly', stdout: bytes(0xff, 0xfe, 0x0a), expected: bytes(0xff, 0xfe) },
    { name: 'makes an empty value of whitespace only', stdout: Buffer.from('\n\n'), expected: Buffer.alloc(0) },
  ])('$name', ({ stdout, expected }) => {
    expect(capturedValue('v', stdout, stdout.length)).toEqual(expected);
  });

  it('accepts output of exactly the limit', () => {
    const stdout = Buffer.alloc(CAPTURE_MAX_BYTES, 'a');
    expect(capturedValue('v', stdout, stdout.length)).toHaveLength(CAPTURE_MAX_BYTES);
  });

  it('fails a capture that printed more than the limit, naming it and the limit', () => {
    const kept = Buffer.alloc(CAPTURE_MAX_BYTES, 'a');
    expect(() => capturedValue('previousVersion', kept, CAPTURE_MAX_BYTES + 1)).toThrow(CaptureRefusedError);
    expect(() => capturedValue('previousVersion', kept, CAPTURE_MAX_BYTES + 1)).toThrow(
      `capture previousVersion: output over ${CAPTURE_MAX_BYTES} bytes`,
    );
  });

  it('fails a capture whose value holds a NUL byte', () => {
    expect(() => capturedValue('v', bytes(0x61, 0x00, 0x62), 3)).toThrow('capture v: output holds a NUL byte (at byte 1)');
  });
});

describe('storedCapturedValue', () => {
  it.each<{ name: string; value: Buffer; stored: string }>([
    { name: 'stores UTF-8 text as itself', value: Buffer.from("it's $(x) é"), stored: "it's $(x) é" },
    { name: 'stores other bytes as base64 behind a marker', value: bytes(0x61, 0xff), stored: 'base64:Yf8=' },
    {
      name: 'encodes text that starts with the marker, so the form stays unambiguous',
      value: Buffer.from('base64:x'),
      stored: 'base64:YmFzZTY0Ong=',
    },
  ])('$name, and reads it back byte for byte', ({ value, stored }) => {
    expect(storedCapturedValue(value)).toBe(stored);
    expect(capturedValueBytes(stored)).toEqual(value);
  });
});
