// Splits an OSV import body into records as its bytes arrive, so that tens of
// thousands of records never sit in memory at once: a JSON array of objects, a
// single object, or newline-delimited JSON (any whitespace between objects).
// Each record's text is handed out whole; JSON.parse happens per record.
import { StringDecoder } from 'node:string_decoder';

export class OsvSyntaxError extends Error {
  constructor(
    readonly recordIndex: number,
    message: string,
  ) {
    super(`[${recordIndex}]: ${message}`);
    this.name = 'OsvSyntaxError';
  }
}

type Mode = 'start' | 'sequence' | 'array-value' | 'array-after' | 'done';

const WS = new Set([' ', '\t', '\n', '\r', '\ufeff']);

export class OsvRecordSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private mode: Mode = 'start';
  private current = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private index = 0;
  /** Largest record text accepted (one advisory), in characters. */
  constructor(private readonly maxRecordChars = 8 * 1024 * 1024) {}

  /** Feeds bytes; returns the records completed by them, as [index, parsed JSON]. */
  push(chunk: Buffer | string): [number, unknown][] {
    return this.scan(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** After the last chunk: the final records, or an error if the body stopped mid-way. */
  end(): [number, unknown][] {
    const records = this.scan(this.decoder.end());
    if (this.depth > 0 || this.inString) throw new OsvSyntaxError(this.index, 'the body ends inside a record');
    if (this.mode === 'array-value' || this.mode === 'array-after') {
      throw new OsvSyntaxError(this.index, 'the body ends before the closing "]" of the array');
    }
    if (this.mode === 'start') throw new OsvSyntaxError(0, 'the body holds no OSV record');
    return records;
  }

  /** How many records have been handed out. */
  get count(): number {
    return this.index;
  }

  private scan(text: string): [number, unknown][] {
    const out: [number, unknown][] = [];
    let start = -1; // where the current record's text starts in `text`
    if (this.depth > 0) start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (this.depth > 0) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === '\\') this.escaped = true;
          else if (c === '"') this.inString = false;
          continue;
        }
        if (c === '"') this.inString = true;
        else if (c === '{' || c === '[') this.depth++;
        else if (c === '}' || c === ']') {
          this.depth--;
          if (this.depth === 0) {
            this.current += text.slice(start, i + 1);
            start = -1;
            out.push([this.index, this.parse(this.current)]);
            this.current = '';
            this.index++;
            this.mode = this.mode === 'array-value' ? 'array-after' : 'sequence';
          }
        }
        continue;
      }
      if (WS.has(c)) continue;
      switch (this.mode) {
        case 'start':
          if (c === '[') {
            this.mode = 'array-value';
            continue;
          }
          this.mode = 'sequence';
          break;
        case 'array-after':
          if (c === ',') this.mode = 'array-value';
          else if (c === ']') this.mode = 'done';
          else throw new OsvSyntaxError(this.index, `expected "," or "]" between records, found ${JSON.stringify(c)}`);
          continue;
        case 'done':
          throw new OsvSyntaxError(this.index, `unexpected ${JSON.stringify(c)} after the closing "]"`);
        case 'array-value':
          if (c === ']' && this.index === 0) {
            this.mode = 'done';
            continue;
          }
          break;
        case 'sequence':
          break;
      }
      if (c !== '{') {
        throw new OsvSyntaxError(this.index, `each record must be a JSON object, found ${JSON.stringify(c)}`);
      }
      this.depth = 1;
      start = i;
    }
    if (this.depth > 0 && start >= 0) {
      this.current += text.slice(start);
      if (this.current.length > this.maxRecordChars) {
        throw new OsvSyntaxError(this.index, `the record is larger than ${this.maxRecordChars} characters`);
      }
    }
    return out;
  }

  private parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new OsvSyntaxError(this.index, `is not valid JSON: ${(error as Error).message}`);
    }
  }
}
