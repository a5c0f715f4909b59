import { isolatedCommand, SequenceStreamSplitter, sequenceScript } from './command-sequence';

const BOUNDARY = 'vz-0123456789abcdef01234567';

function split(chunks: string[]): { segments: string[]; markers: [number, string][] } {
  const segments: string[] = [];
  const markers: [number, string][] = [];
  const splitter = new SequenceStreamSplitter(
    BOUNDARY,
    (index, chunk) => {
      segments[index] = (segments[index] ?? '') + chunk.toString('utf8');
    },
    (index, rest) => markers.push([index, rest]),
  );
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  splitter.end();
  return { segments, markers };
}

const stream = `old\n\n${BOUNDARY}:0 0\nno newline at the end\n${BOUNDARY}:1 3\n`;

describe('SequenceStreamSplitter', () => {
  it.each([
    ['in one chunk', [stream]],
    ['one byte at a time', stream.split('')],
    ['cut inside the boundary', [stream.slice(0, 10), stream.slice(10, 20), stream.slice(20)]],
    ['cut right before the status', [stream.slice(0, stream.indexOf(':0') + 2), stream.slice(stream.indexOf(':0') + 2)]],
  ])('gives each command its own output and status, %s', (_name, chunks) => {
    const { segments, markers } = split(chunks);
    expect(segments).toEqual(['old\n', 'no newline at the end']);
    expect(markers).toEqual([
      [0, '0'],
      [1, '3'],
    ]);
  });

  it('keeps output that only looks like a marker of another command (wrong index) as output', () => {
    const { segments, markers } = split([`a\n${BOUNDARY}:5 0\nb\n${BOUNDARY}:0 0\n`]);
    expect(segments).toEqual([`a\n${BOUNDARY}:5 0\nb`]);
    expect(markers).toEqual([[0, '0']]);
  });

  it('hands back output cut off by a killed command at the end', () => {
    const { segments, markers } = split(['partial output\n', `\n${BOUNDARY.slice(0, 5)}`]);
    expect(segments).toEqual([`partial output\n\n${BOUNDARY.slice(0, 5)}`]);
    expect(markers).toEqual([]);
  });
});

describe('sequenceScript', () => {
  it('quotes each command as one word for eval, so quotes and $ inside reach the shell intact', () => {
    const script = sequenceScript([`echo 'it''s' "$HOME"`, 'true'], BOUNDARY);
    expect(script).toContain(`( eval 'echo '\\''it'\\'''\\''s'\\'' "$HOME"' )`);
    expect(script).toContain(`eval '( echo '\\''it'\\'''\\''s'\\'' "$HOME"\n)'`);
    expect(script).toContain(`'${BOUNDARY}:1'`);
  });

  it('starts by telling bash outside POSIX mode from every other shell', () => {
    expect(sequenceScript(['true'], BOUNDARY).split('\n')[0]).toBe(
      'case "${BASH_VERSION-}:${SHELLOPTS-}" in :*|*posix*) vz_fast= ;; *) vz_fast=1 ;; esac',
    );
  });

  it('refuses a guessable boundary and a NUL in a command', () => {
    expect(() => sequenceScript(['true'], 'short')).toThrow(RangeError);
    expect(() => sequenceScript(['a\0b'], BOUNDARY)).toThrow(RangeError);
  });
});

describe('isolatedCommand', () => {
  it('puts a command without `)` straight into a subshell where the shell allows, else evaluates it in one', () => {
    expect(isolatedCommand('cat "$F" && sleep 1')).toBe(
      `if [ -n "$vz_fast" ]; then eval '( cat "$F" && sleep 1\n)'; else ( eval 'cat "$F" && sleep 1' ); fi </dev/null`,
    );
  });

  it.each([
    ['a `)` that could close the subshell early', 'true ) ; exit 1 ; ( true'],
    ['a command substitution', 'test "$(cat f)" = ok'],
    ['a case statement', 'case x in x) true ;; esac'],
    ['a trailing line continuation', 'echo a \\'],
    ['more than one line', 'cd /tmp\ncat f'],
    ['a here-document', "cat <<'EOF'\nx\nEOF"],
    ['a here-string', 'cat <<< x'],
    ['a comment alone', '  # nothing to undo'],
  ])('keeps eval in a subshell for %s', (_what, command) => {
    expect(isolatedCommand(command)).toMatch(/^\( eval '.*' \) <\/dev\/null$/s);
  });
});
