// Where each `{{name}}` of a rollback template sits in the shell's grammar.
//
// A captured value reaches the shell only as the expansion of a variable,
// `"${vz_cap_<name>?}"` (see placeholders.ts): the shell never parses it. That
// holds only where an expansion is data. This scanner is an allow-list: a
// placeholder is accepted when it is part of an ARGUMENT word (or a redirection
// target, or a `for`/`case` word) of a command whose name is a literal word
// that does not run its arguments as code, written bare, inside a word, or
// inside "…" at that word's top level. Everything else is refused with the
// reason: after `$` or `\`, inside '…', $'…', $"…", $(…), `…`, ${…}, <(…),
// arithmetic, a here-document, an assignment, command position, the arguments
// of eval/sh -c/sudo/… and the tests bash evaluates as arithmetic.
//
// It models enough of POSIX sh (and bash's additions) to place every
// placeholder; when a template holds a construct it cannot follow (a
// here-document or `case` inside a substitution), every placeholder of it is
// refused rather than guessed.

const NAME = '[A-Za-z_][A-Za-z0-9_]*';

// A fresh global regex per call: a shared one would carry `lastIndex` between calls.
export function placeholderPattern(): RegExp {
  return new RegExp(`\\{\\{\\s*(${NAME})\\s*\\}\\}`, 'g');
}

/** A placeholder the renderer may replace; `inDoubleQuotes` decides how. */
export interface PlaceholderUse {
  name: string;
  offset: number;
  length: number;
  inDoubleQuotes: boolean;
}

/** A placeholder that must not be rendered, and why. */
export interface PlaceholderRefusal {
  name: string;
  offset: number;
  reason: string;
}

export interface TemplateScan {
  uses: PlaceholderUse[];
  refusals: PlaceholderRefusal[];
}

/**
 * Commands that run (some of) their arguments as code, or treat them as
 * variable names whose subscripts bash evaluates, or start another command
 * from them: a placeholder in any of their arguments is refused.
 */
const RUNS_ARGUMENTS = new Set([
  // the shell's own
  '.',
  'source',
  'eval',
  'exec',
  'command',
  'builtin',
  'trap',
  'alias',
  'let',
  'declare',
  'typeset',
  'local',
  'export',
  'readonly',
  'unset',
  'read',
  'mapfile',
  'readarray',
  'getopts',
  'enable',
  'complete',
  'compgen',
  'bind',
  'fc',
  'hash',
  'coproc',
  'time',
  'wait',
  'integer',
  'float',
  'autoload',
  'functions',
  'zmodload',
  // shells and interpreters
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'ksh93',
  'mksh',
  'ash',
  'busybox',
  'fish',
  'csh',
  'tcsh',
  'rbash',
  'python',
  'python2',
  'python3',
  'perl',
  'ruby',
  'node',
  'nodejs',
  'php',
  'lua',
  'tclsh',
  'expect',
  'awk',
  'gawk',
  'mawk',
  'nawk',
  'sed',
  'ed',
  'vi',
  'vim',
  'jq',
  // programs that start another command from their arguments
  'sudo',
  'su',
  'doas',
  'runuser',
  'env',
  'xargs',
  'parallel',
  'find',
  'nohup',
  'nice',
  'ionice',
  'timeout',
  'stdbuf',
  'chroot',
  'nsenter',
  'unshare',
  'setsid',
  'setpriv',
  'watch',
  'ssh',
  'script',
  'flock',
  'strace',
  'ltrace',
  'systemd-run',
  'start-stop-daemon',
  'chpst',
  'taskset',
  'numactl',
  'unbuffer',
  'faketime',
  'sg',
  'pkexec',
  'at',
  'batch',
  'crontab',
  'chrt',
  'cgexec',
  'firejail',
  'bwrap',
  'toybox',
  'dbus-run-session',
  'xvfb-run',
  'valgrind',
  'gdb',
  'make',
  'jobs',
  // numeric arguments zsh and ksh evaluate as arithmetic (`a[$(…)]` runs)
  'shift',
  'exit',
  'return',
  'break',
  'continue',
  'ulimit',
  'kill',
  'fg',
  'bg',
  'disown',
]);

/** Programs that run what they read on stdin: a value piped into one is code. */
const STDIN_RUNNERS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'ksh93',
  'mksh',
  'ash',
  'busybox',
  'fish',
  'csh',
  'tcsh',
  'rbash',
  'python',
  'python2',
  'python3',
  'perl',
  'ruby',
  'node',
  'nodejs',
  'php',
  'lua',
  'tclsh',
  'expect',
  'sudo',
  'su',
  'doas',
  'runuser',
  'ssh',
  'xargs',
  'parallel',
  'at',
  'batch',
  'crontab',
  'source',
  '.',
  'eval',
  'env',
  'nohup',
  'nice',
  'timeout',
  'exec',
  'command',
  'builtin',
  'sg',
  'pkexec',
  'toybox',
  'ed',
  'vi',
  'vim',
]);

/** Commands after which a name may no longer mean what it says (functions and aliases from elsewhere). */
const REDEFINES_NAMES = new Set(['.', 'source', 'alias', 'hash', 'enable']);

/** Test operands bash (and ksh) evaluate arithmetically or as variable names (`a[$(…)]` runs). */
const EVALUATING_TEST_OPERATORS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-v', '-R']);

/** Words reserved at command position after which another command word follows. */
const LEADING_RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '{', '}', '!', 'esac']);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

interface Word {
  text: string;
  start: number;
  placeholders: PlaceholderUse[];
  /** True when the word has a `$`, a backtick or quotes: not a literal command name. */
  literal: boolean;
}

type Expect = 'command' | 'argument' | 'for-name' | 'for-in' | 'function-name' | 'case-subject' | 'case-in' | 'case-pattern';

interface SimpleCommand {
  name: string | null;
  /** False when the command word is not a literal: it could be anything, `eval` included. */
  literalName: boolean;
  words: Word[];
}

class Scanner {
  private readonly uses: PlaceholderUse[] = [];
  private readonly refusals: PlaceholderRefusal[] = [];
  private readonly at = new Map<number, { name: string; length: number }>();
  private i = 0;
  private expect: Expect = 'command';
  private command: SimpleCommand | undefined;
  private word: Word | undefined;
  private redirect: string | undefined;
  private readonly heredocs: { delimiter: string; stripTabs: boolean }[] = [];
  /** Open `case` statements and `(` subshells, innermost last. */
  private readonly nesting: ('case' | 'subshell')[] = [];
  private opaque: string | undefined;
  /** Redirection targets of the current simple command, judged with its name. */
  private redirectWords: Word[] = [];
  /** Placeholders accepted in the current pipeline so far, and whether a `|` just passed. */
  private pipeUses: PlaceholderUse[] = [];
  private piping = false;

  constructor(private readonly src: string) {
    for (const match of src.matchAll(placeholderPattern())) {
      this.at.set(match.index, { name: match[1] as string, length: match[0].length });
    }
  }

  scan(): TemplateScan {
    if (this.at.size === 0) return { uses: [], refusals: [] };
    const src = this.src;
    while (this.i < src.length) {
      const c = src[this.i] as string;
      if (this.at.has(this.i)) {
        this.placeholder(false);
        continue;
      }
      if (c === '\\') {
        if (src[this.i + 1] === '\n') {
          this.i += 2;
          continue;
        }
        this.refuseWithin(this.i + 1, this.i + 2, 'after `\\`, which would escape the expansion');
        this.wordText(src.slice(this.i, this.i + 2), false);
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const end = this.src.indexOf("'", this.i + 1);
        const stop = end < 0 ? src.length : end + 1;
        this.refuseWithin(this.i, stop, 'inside single quotes, where it would not be substituted');
        this.wordText(src.slice(this.i, stop), false);
        this.i = stop;
        continue;
      }
      if (c === '"') {
        this.doubleQuoted();
        continue;
      }
      if (c === '`') {
        const stop = this.skip(this.i + 1, 'backtick');
        this.refuseWithin(this.i, stop, 'inside backticks, where the value would be parsed again');
        this.wordText(src.slice(this.i, stop), false);
        this.i = stop;
        continue;
      }
      if (c === '$') {
        this.dollar();
        continue;
      }
      if (c === '#' && this.word === undefined) {
        const end = src.indexOf('\n', this.i);
        this.i = end < 0 ? src.length : end;
        continue;
      }
      if (c === '\n') {
        this.endWord();
        this.endCommand();
        this.endPipeline();
        this.i += 1;
        this.readHeredocs();
        continue;
      }
      if (c === ' ' || c === '\t') {
        this.endWord();
        this.i += 1;
        continue;
      }
      if (c === '<' || c === '>') {
        this.redirection();
        continue;
      }
      if (c === '&' && src[this.i + 1] === '>') {
        this.redirection();
        continue;
      }
      if (c === ';' || c === '&' || c === '|') {
        this.endWord();
        this.endCommand();
        const pipe = c === '|' && src[this.i + 1] !== '|';
        if (pipe) this.piping = true;
        else this.endPipeline();
        if (src.startsWith(';;', this.i) || src.startsWith(';&', this.i)) {
          this.i += src.startsWith(';;&', this.i) ? 3 : 2;
          if (this.nesting.at(-1) === 'case') this.expect = 'case-pattern';
          continue;
        }
        this.i += src.startsWith('&&', this.i) || src.startsWith('||', this.i) || src.startsWith('|&', this.i) ? 2 : 1;
        continue;
      }
      if (c === '(') {
        this.openParen();
        continue;
      }
      if (c === ')') {
        this.endWord();
        if (this.expect === 'case-pattern') {
          this.expect = 'command';
        } else {
          this.endCommand();
          this.endPipeline();
          if (this.nesting.at(-1) === 'subshell') this.nesting.pop();
        }
        this.i += 1;
        continue;
      }
      this.wordText(c, true);
      this.i += 1;
    }
    this.endWord();
    this.endCommand();
    if (this.opaque !== undefined) {
      const reason = this.opaque;
      const refused = new Set(this.refusals.map((r) => r.offset));
      for (const use of this.uses) {
        if (!refused.has(use.offset)) this.refusals.push({ name: use.name, offset: use.offset, reason });
      }
      this.uses.length = 0;
    }
    const placed = new Set([...this.uses, ...this.refusals].map((p) => p.offset));
    for (const [offset, { name }] of this.at) {
      if (!placed.has(offset)) this.refuse({ name, offset }, 'where the shell would not substitute it');
    }
    this.refusals.sort((a, b) => a.offset - b.offset);
    return { uses: this.uses, refusals: this.refusals };
  }

  /** A placeholder at `this.i`, in the current word (inside "…" when `inDoubleQuotes`). */
  private placeholder(inDoubleQuotes: boolean): void {
    const { name, length } = this.at.get(this.i) as { name: string; length: number };
    const before = this.src[this.i - 1];
    const use = { name, offset: this.i, length, inDoubleQuotes };
    if (before === '$') this.refuse(use, 'after `$`, where the shell would read the expansion as part of another one');
    else if (before === '\\') this.refuse(use, 'after `\\`, which would escape the expansion');
    else this.currentWord().placeholders.push(use);
    this.wordText(this.src.slice(this.i, this.i + length), false);
    this.i += length;
  }

  private doubleQuoted(): void {
    const src = this.src;
    const start = this.i;
    this.currentWord().literal = false;
    this.i += 1;
    while (this.i < src.length && src[this.i] !== '"') {
      if (this.at.has(this.i)) {
        this.placeholder(true);
        continue;
      }
      const c = src[this.i];
      if (c === '\\') {
        this.refuseWithin(this.i + 1, this.i + 2, 'after `\\`, which would escape the expansion');
        this.i += 2;
      } else if (c === '$' && this.at.has(this.i + 1)) {
        this.i += 1;
        this.placeholder(true);
      } else if (c === '`') {
        const stop = this.skip(this.i + 1, 'backtick');
        this.refuseWithin(this.i, stop, 'inside backticks, where the value would be parsed again');
        this.i = stop;
      } else if (c === '$' && (src[this.i + 1] === '(' || src[this.i + 1] === '{')) {
        this.i = this.expansion(this.i);
      } else {
        this.i += 1;
      }
    }
    this.i = Math.min(src.length, this.i + 1);
    this.wordText(src.slice(start, this.i), false);
  }

  private dollar(): void {
    const src = this.src;
    const next = src[this.i + 1];
    const start = this.i;
    if (this.at.has(this.i + 1)) {
      this.wordText('$', false);
      this.i += 1;
      this.placeholder(false);
      return;
    }
    if (next === "'" || next === '"') {
      const stop = this.skip(this.i + 2, next === "'" ? 'dollar-single' : 'double');
      this.refuseWithin(
        start,
        stop,
        next === "'" ? "inside $'…' quotes, where it would not be substituted" : 'inside $"…" (a translated string)',
      );
      this.i = stop;
    } else if (next === '(' || next === '{') {
      this.i = this.expansion(this.i);
    } else if (next === '[') {
      // bash's old arithmetic expansion $[…].
      let depth = 0;
      let end = this.i + 1;
      for (; end < src.length; end++) {
        if (src[end] === '[') depth += 1;
        else if (src[end] === ']' && --depth === 0) break;
      }
      this.refuseWithin(start, end + 1, 'in arithmetic $[…], which evaluates `a[$(…)]` in a value');
      this.i = Math.min(src.length, end + 1);
    } else {
      this.i += 1;
    }
    this.wordText(src.slice(start, this.i), false);
  }

  /** `$(…)`, `$((…))` or `${…}` starting at `from`; the index after it. Placeholders inside are refused. */
  private expansion(from: number): number {
    const src = this.src;
    if (src.startsWith('$((', from)) {
      const stop = this.skip(from + 3, 'arithmetic');
      this.refuseWithin(from, stop, 'in arithmetic, which evaluates `a[$(…)]` in a value');
      return stop;
    }
    if (src[from + 1] === '(') {
      const stop = this.skip(from + 2, 'paren');
      this.refuseWithin(from, stop, 'inside a command substitution $(…)');
      return stop;
    }
    const stop = this.skip(from + 2, 'brace');
    this.refuseWithin(from, stop, 'inside a parameter expansion ${…}');
    return stop;
  }

  private openParen(): void {
    const src = this.src;
    if (this.word !== undefined && /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=$/.test(this.word.text)) {
      // bash array assignment `a=(…)`: its subscripts are arithmetic.
      const stop = this.skip(this.i + 1, 'paren');
      this.refuseWithin(this.i, stop, 'in an array assignment');
      this.wordText(src.slice(this.i, stop), false);
      this.i = stop;
      return;
    }
    this.endWord();
    if (this.expect === 'case-pattern') {
      this.i += 1;
      return;
    }
    if (this.expect === 'command' && this.command === undefined && src[this.i + 1] === '(') {
      const stop = this.skip(this.i + 2, 'arithmetic');
      this.refuseWithin(this.i, stop, 'in an arithmetic command ((…)), which evaluates `a[$(…)]` in a value');
      this.i = stop;
      this.endCommand();
      return;
    }
    if (this.command !== undefined && /^\s*\)/.test(src.slice(this.i + 1))) {
      // `name ()`: a function definition; its body is a command.
      this.opaque ??= 'the template defines a function, whose arguments could reach anything (eval included)';
      this.refuseWords(this.command.words, 'in a function name');
      this.command = undefined;
      this.expect = 'command';
      this.i = src.indexOf(')', this.i) + 1;
      return;
    }
    this.endCommand();
    if (this.piping) this.refusePiped('a pipeline into a subshell, which this check cannot follow');
    this.nesting.push('subshell');
    this.i += 1;
  }

  private redirection(): void {
    const src = this.src;
    // Digits right before the operator name a file descriptor, not a word.
    if (this.word && /^\d+$/.test(this.word.text) && this.word.placeholders.length === 0) this.word = undefined;
    else this.endWord();
    const op = /^(<<<|<<-|<<|<>|<&|<\(|<|>>|>\||>&|>\(|&>>|&>|>)/.exec(src.slice(this.i))?.[0] ?? src[this.i];
    if (op === '<(' || op === '>(') {
      const stop = this.skip(this.i + 2, 'paren');
      this.refuseWithin(this.i, stop, 'inside a process substitution');
      this.wordText(src.slice(this.i, stop), false);
      this.i = stop;
      return;
    }
    this.redirect = op;
    this.i += (op as string).length;
  }

  /** Marks the rest of `word` as belonging to the current word (creating it). */
  private wordText(text: string, plain: boolean): void {
    const word = this.currentWord();
    word.text += text;
    if (!plain) word.literal = word.literal && /^\\.$/.test(text);
  }

  private currentWord(): Word {
    this.word ??= { text: '', start: this.i, placeholders: [], literal: true };
    return this.word;
  }

  private endWord(): void {
    const word = this.word;
    if (word === undefined) return;
    this.word = undefined;
    if (this.redirect !== undefined) {
      const op = this.redirect;
      this.redirect = undefined;
      if (op === '<<' || op === '<<-') {
        this.refuseWords([word], 'in a here-document delimiter');
        this.heredocs.push({ delimiter: word.text.replace(/['"\\]/g, ''), stripTabs: op === '<<-' });
      } else if (op === '<&' || op === '>&') {
        this.refuseWords([word], `as the target of \`${op}\`, where the value would pick or close a file descriptor`);
      } else {
        this.redirectWords.push(word);
      }
      return;
    }
    switch (this.expect) {
      case 'command':
        return this.commandWord(word);
      case 'for-name':
      case 'function-name':
        this.refuseWords([word], this.expect === 'for-name' ? 'as a loop variable name' : 'in a function name');
        this.expect = this.expect === 'for-name' ? 'for-in' : 'command';
        return;
      case 'for-in':
        this.expect = 'argument';
        this.command = { name: 'for', literalName: true, words: [] };
        if (word.text !== 'in') this.accept(word);
        return;
      case 'case-subject':
        this.accept(word);
        this.expect = 'case-in';
        return;
      case 'case-in':
        this.expect = 'case-pattern';
        return;
      case 'case-pattern':
        if (word.text === 'esac' && word.literal) {
          this.nesting.pop();
          this.expect = 'command';
          return;
        }
        this.accept(word);
        return;
      case 'argument':
        this.command?.words.push(word);
        return;
    }
  }

  private commandWord(word: Word): void {
    if (ASSIGNMENT.test(word.text)) {
      this.refuseWords(
        [word],
        'in an assignment, where the variable could mean something to the programs that read it (PATH, IFS, LD_PRELOAD…)',
      );
      return;
    }
    if (word.literal && LEADING_RESERVED.has(word.text)) {
      if (word.text === 'esac' && this.nesting.at(-1) === 'case') this.nesting.pop();
      if (this.piping && word.text !== '!')
        this.refusePiped(`a pipeline into a compound command (\`${word.text}\`), which this check cannot follow`);
      return;
    }
    if (this.piping && word.literal && ['for', 'select', 'case', 'function', '[['].includes(word.text)) {
      this.refusePiped(`a pipeline into a compound command (\`${word.text}\`), which this check cannot follow`);
    }
    if (word.literal && (word.text === 'for' || word.text === 'select')) {
      this.expect = 'for-name';
      return;
    }
    if (word.literal && word.text === 'function') {
      this.opaque ??= 'the template defines a function, whose arguments could reach anything (eval included)';
      this.expect = 'function-name';
      return;
    }
    if (word.literal && word.text === 'case') {
      this.nesting.push('case');
      this.expect = 'case-subject';
      return;
    }
    if (word.literal && word.text === '[[') {
      this.conditional();
      return;
    }
    this.refuseWords([word], 'in command position, where the value would name the command to run');
    const unquoted = word.text.replace(/\\(.)/g, '$1');
    const name = unquoted.slice(unquoted.lastIndexOf('/') + 1);
    if (this.piping && (!word.literal || STDIN_RUNNERS.has(name))) {
      this.refusePiped(
        word.literal
          ? `a pipeline into \`${name}\`, which runs what it reads as code`
          : 'a pipeline into a command whose name is not a literal word',
      );
    }
    this.piping = false;
    if (word.literal && REDEFINES_NAMES.has(name))
      this.opaque ??= `the template runs \`${name}\`, after which a command name may be a function or alias this check cannot see`;
    this.command = { name, literalName: word.literal, words: [] };
    this.expect = 'argument';
  }

  /** `[[ … ]]`: its words up to `]]`, read here because `<`, `>`, `(`, `&&` are not operators inside it. */
  private conditional(): void {
    const src = this.src;
    const words: Word[] = [];
    let evaluates = false;
    const outer = this.expect;
    this.expect = 'argument';
    while (this.i < src.length) {
      const c = src[this.i] as string;
      if (this.word === undefined && src.startsWith(']]', this.i) && /^(?:$|[\s;&|)])/.test(src.slice(this.i + 2))) {
        this.i += 2;
        break;
      }
      if (c === ' ' || c === '\t' || c === '\n') {
        this.i += 1;
        const word = this.word;
        this.word = undefined;
        if (word) {
          if (word.literal && word.text === ']]') break;
          if (EVALUATING_TEST_OPERATORS.has(word.text)) evaluates = true;
          words.push(word);
        }
        continue;
      }
      if (this.at.has(this.i)) this.placeholder(false);
      else if (c === '"') this.doubleQuoted();
      else if (c === "'") {
        const end = src.indexOf("'", this.i + 1);
        const stop = end < 0 ? src.length : end + 1;
        this.refuseWithin(this.i, stop, 'inside single quotes, where it would not be substituted');
        this.wordText(src.slice(this.i, stop), false);
        this.i = stop;
      } else if (c === '$') this.dollar();
      else if (c === '`') {
        const stop = this.skip(this.i + 1, 'backtick');
        this.refuseWithin(this.i, stop, 'inside backticks, where the value would be parsed again');
        this.i = stop;
      } else if (c === '\\') {
        this.wordText(src.slice(this.i, this.i + 2), false);
        this.i += 2;
      } else {
        this.wordText(c, true);
        this.i += 1;
      }
    }
    const last = this.word;
    this.word = undefined;
    if (last && !(last.literal && last.text === ']]')) words.push(last);
    if (evaluates)
      this.refuseWords(
        words,
        'in a [[ … ]] with an arithmetic or variable-name test (-eq, -lt, -v…), which evaluates `a[$(…)]` in a value',
      );
    else for (const word of words) this.accept(word);
    this.expect = outer === 'command' ? 'argument' : outer;
    this.command = { name: '[[', literalName: true, words: [] };
  }

  private endCommand(): void {
    const command = this.command;
    this.command = undefined;
    const redirectWords = this.redirectWords;
    this.redirectWords = [];
    if (this.expect !== 'case-pattern' && this.expect !== 'case-in' && this.expect !== 'case-subject') this.expect = 'command';
    if (command === undefined) {
      for (const word of redirectWords) this.accept(word);
      return;
    }
    const { name } = command;
    // A redirection feeds or names a file for the command: judged like its arguments.
    const words = [...command.words, ...redirectWords];
    if (!command.literalName) {
      this.refuseWords(words, 'in an argument of a command whose name is not a literal word (it could be eval)');
    } else if (name !== null && RUNS_ARGUMENTS.has(name)) {
      this.refuseWords(words, `in an argument of \`${name}\`, which can run or evaluate its arguments as code`);
    } else if ((name === '[' || name === 'test') && words.some((w) => EVALUATING_TEST_OPERATORS.has(w.text))) {
      this.refuseWords(
        words,
        `in a \`${name}\` with an arithmetic or variable-name test (-eq, -lt, -v…), which some shells evaluate as arithmetic`,
      );
    } else if (
      (name === '[' || name === 'test') &&
      command.words.filter((w) => w.placeholders.length > 0 || /[$`]/.test(w.text)).length > 1
    ) {
      // Values could supply both an operator (`-v`) and its operand.
      this.refuseWords(words, `in a \`${name}\` with more than one expanded operand, where a value could become an operator such as -v`);
    } else if (name === 'printf') {
      this.printfWords(command.words, redirectWords);
    } else {
      for (const word of words) this.accept(word);
    }
  }

  /**
   * printf: a value is data only as an argument of a literal format whose
   * conversions are all strings (`%s`, `%b`, `%q`, `%c`): bash's `-v` takes a
   * variable name (its subscript is evaluated), and ksh and zsh evaluate the
   * arguments of numeric conversions as arithmetic.
   */
  private printfWords(words: Word[], redirectWords: Word[]): void {
    let at = 0;
    if (words[at]?.literal && words[at]?.text === '--') at += 1;
    const format = words[at];
    const stringsOnly =
      format !== undefined &&
      format.placeholders.length === 0 &&
      !/[$`]/.test(format.text) &&
      !words.slice(0, at).some((w) => w.text.startsWith('-v')) &&
      [...format.text.replace(/%%/g, '').matchAll(/%[^a-zA-Z%]*([a-zA-Z])/g)].every((m) =>
        /^[-#0 +']*\d*(\.\d*)?[sbqc]$/.test(m[0].slice(1)),
      );
    if (format?.text.startsWith('-') && format.text !== '--') {
      this.refuseWords(words, 'in a `printf` with options (`-v` takes a variable name whose subscript bash evaluates)');
    } else if (!stringsOnly) {
      this.refuseWords(
        words,
        'in a `printf` whose format is not a literal of string conversions (%s, %b, %q, %c): numeric conversions evaluate arithmetic in ksh and zsh',
      );
    } else {
      for (const word of words) this.accept(word);
    }
    for (const word of redirectWords) this.accept(word);
  }

  private readHeredocs(): void {
    const src = this.src;
    while (this.heredocs.length > 0) {
      const { delimiter, stripTabs } = this.heredocs.shift() as { delimiter: string; stripTabs: boolean };
      const start = this.i;
      for (;;) {
        if (this.i >= src.length) break;
        const end = src.indexOf('\n', this.i);
        const lineEnd = end < 0 ? src.length : end;
        const line = src.slice(this.i, lineEnd);
        this.i = end < 0 ? src.length : end + 1;
        if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break;
      }
      this.refuseWithin(start, this.i, 'in a here-document, whose body the shell may expand and which cannot hold any value');
    }
  }

  private accept(word: Word): void {
    this.uses.push(...word.placeholders);
    this.pipeUses.push(...word.placeholders);
  }

  private endPipeline(): void {
    this.pipeUses = [];
    this.piping = false;
  }

  /** The placeholders accepted so far in this pipeline feed `reason`'s reader: refused after all. */
  private refusePiped(reason: string): void {
    const piped = new Set(this.pipeUses.map((use) => use.offset));
    for (const use of this.pipeUses) this.refuse(use, `in ${reason}`);
    this.pipeUses = [];
    const kept = this.uses.filter((use) => !piped.has(use.offset));
    this.uses.length = 0;
    this.uses.push(...kept);
  }

  private refuse(use: { name: string; offset: number }, reason: string): void {
    this.refusals.push({ name: use.name, offset: use.offset, reason });
  }

  private refuseWords(words: Word[], reason: string): void {
    for (const word of words) for (const use of word.placeholders.splice(0)) this.refuse(use, reason);
  }

  private refuseWithin(from: number, to: number, reason: string): void {
    for (const [offset, { name }] of this.at) {
      if (offset >= from && offset < to && !this.refusals.some((r) => r.offset === offset)) this.refuse({ name, offset }, reason);
    }
  }

  /**
   * The index just after the end of a nested construct whose body starts at
   * `from`, following quotes and nesting inside it. Its placeholders are
   * refused by the caller, so all that matters is where it ends; what this
   * cannot follow (a here-document or `case` inside) makes the whole template
   * opaque.
   */
  private skip(from: number, kind: 'paren' | 'brace' | 'backtick' | 'arithmetic' | 'dollar-single' | 'double'): number {
    const src = this.src;
    let i = from;
    let depth = 0;
    while (i < src.length) {
      const c = src[i] as string;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (kind === 'dollar-single') {
        if (c === "'") return i + 1;
        i += 1;
        continue;
      }
      if (kind === 'backtick' && c === '`') return i + 1;
      if (kind === 'double') {
        if (c === '"') return i + 1;
        if (c === '`') i = this.skip(i + 1, 'backtick');
        else if (c === '$' && src[i + 1] === '(') i = this.skip(i + 2, src[i + 2] === '(' ? 'arithmetic' : 'paren');
        else if (c === '$' && src[i + 1] === '{') i = this.skip(i + 2, 'brace');
        else i += 1;
        continue;
      }
      if (c === "'" && kind !== 'brace') {
        const end = src.indexOf("'", i + 1);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (c === '"') {
        i = this.skip(i + 1, 'double');
        continue;
      }
      if (c === '`' && kind !== 'backtick') {
        i = this.skip(i + 1, 'backtick');
        continue;
      }
      if (c === '$' && src[i + 1] === '(') {
        i = this.skip(i + 2, src[i + 2] === '(' ? 'arithmetic' : 'paren');
        continue;
      }
      if (c === '$' && src[i + 1] === '{') {
        i = this.skip(i + 2, 'brace');
        continue;
      }
      if (kind === 'brace') {
        if (c === '}') return i + 1;
        i += 1;
        continue;
      }
      if (src.startsWith('<<', i) && !src.startsWith('<<<', i))
        this.opaque ??= 'the template has a here-document inside a substitution, which this check cannot follow';
      if (/^case[\s;]/.test(src.slice(i)) && /(^|[\s;(`|&])$/.test(src.slice(0, i))) {
        this.opaque ??= 'the template has a `case` inside a substitution, which this check cannot follow';
      }
      if (c === '#' && /(^|\s)$/.test(src.slice(0, i))) {
        const end = src.indexOf('\n', i);
        i = end < 0 ? src.length : end;
        continue;
      }
      if (c === '(') depth += 1;
      else if (c === ')') {
        if (depth === 0) {
          if (kind === 'arithmetic') return src[i + 1] === ')' ? i + 2 : i + 1;
          return i + 1;
        }
        depth -= 1;
      }
      i += 1;
    }
    this.opaque ??= 'the template has an unterminated quote or substitution';
    return src.length;
  }
}

/** Every placeholder of `command`, each either usable (with how to render it) or refused with the reason. */
export function scanTemplate(command: string): TemplateScan {
  return new Scanner(command).scan();
}
