// Ansible's INI inventory plugin passes every variable value through Python's ast.literal_eval
// and keeps the raw text when that fails. This is the subset of literal_eval that matters for
// inventories, so that `outpost_port=8081` is the number 8081, `flag=True` a boolean, `x="[1, 2]"`
// a list and `site=lisbon` stays the string "lisbon" — the same values `ansible-inventory --list`
// prints (held by inventory.test.ts 'types INI values the way ansible-inventory does').
//
// Supported: str/bytes literals (all quote styles, r/u/b prefixes, escapes, implicit
// concatenation), int (decimal, hex, octal, binary, underscores), float, unary +/-, True, False,
// None, lists, tuples and sets (as arrays), dicts, and `# comments`. Anything else (complex
// numbers, f-strings, `...`, integers beyond 2^53) is reported as "not a literal", so the caller
// keeps the text — a string where Ansible would have had something exotic, never a wrong number.

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

// Most INI values (names, addresses) are not literals, so "not a literal" is the common path: one
// shared object without a stack trace keeps it cheap for inventories of thousands of hosts.
const NOT_A_LITERAL = Symbol('not a literal');

type Token =
  | { kind: 'str'; value: string; bytes: boolean }
  | { kind: 'num'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'punct'; value: string };

const DECIMAL_INT = /^(?:0(?:_?0)*|[1-9](?:_?\d)*)$/;
const HEX_INT = /^0[xX](?:_?[0-9a-fA-F])+$/;
const OCT_INT = /^0[oO](?:_?[0-7])+$/;
const BIN_INT = /^0[bB](?:_?[01])+$/;
const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT = new RegExp(
  `^(?:(?:${DIGITS})?\\.${DIGITS}(?:[eE][+-]?${DIGITS})?|${DIGITS}\\.(?:[eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS})$`,
);
const STRING_PREFIX = /^(?:[rRuUbB]|[bB][rR]|[rR][bB])?$/;

export function parsePythonLiteral(text: string): LiteralResult {
  try {
    const tokens = tokenize(text.replace(/^[ \t]+/, ''));
    const parser = new Parser(tokens);
    const value = parser.expression();
    if (!parser.done()) return { ok: false };
    return { ok: true, value };
  } catch (err) {
    if (err === NOT_A_LITERAL) return { ok: false };
    throw err;
  }
}

/** The value Ansible's INI plugin stores for `text`: the literal if it is one, else the text. */
export function iniValue(text: string): unknown {
  const result = parsePythonLiteral(text);
  return result.ok ? result.value : text;
}

const WORD = /[A-Za-z0-9_]*/y;
// The run a Python tokenizer reads as one number (a sign only right after an exponent's e),
// validated afterwards by parseNumber.
const NUMBER_RUN = /(?:[0-9A-Za-z_.]|(?<=[eE])[+-])*/y;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
    } else if (c === '#') {
      break;
    } else if ('[](){},:+-'.includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_') {
      WORD.lastIndex = i;
      const word = (WORD.exec(src) as RegExpExecArray)[0];
      const j = i + word.length;
      const quote = src[j];
      if ((quote === '"' || quote === "'") && STRING_PREFIX.test(word)) {
        const [value, end] = readString(src, j, /[rR]/.test(word));
        tokens.push({ kind: 'str', value, bytes: /[bB]/.test(word) });
        i = end;
      } else if (word === 'True' || word === 'False' || word === 'None') {
        tokens.push({ kind: 'name', value: word });
        i = j;
      } else {
        throw NOT_A_LITERAL; // any other name: literal_eval refuses it
      }
    } else if (c === '"' || c === "'") {
      const [value, end] = readString(src, i, false);
      tokens.push({ kind: 'str', value, bytes: false });
      i = end;
    } else if ((c >= '0' && c <= '9') || c === '.') {
      NUMBER_RUN.lastIndex = i;
      const run = (NUMBER_RUN.exec(src) as RegExpExecArray)[0];
      tokens.push({ kind: 'num', value: parseNumber(run) });
      i += run.length;
    } else {
      throw NOT_A_LITERAL;
    }
  }
  return tokens;
}

function parseNumber(run: string): number {
  const digits = run.replaceAll('_', '');
  let value: number;
  if (DECIMAL_INT.test(run)) value = Number(digits);
  else if (HEX_INT.test(run)) value = Number.parseInt(digits.slice(2), 16);
  else if (OCT_INT.test(run)) value = Number.parseInt(digits.slice(2), 8);
  else if (BIN_INT.test(run)) value = Number.parseInt(digits.slice(2), 2);
  else if (FLOAT.test(run)) return Number(digits);
  else throw NOT_A_LITERAL;
  if (!Number.isSafeInteger(value)) throw NOT_A_LITERAL;
  return value;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function readString(src: string, start: number, raw: boolean): [string, number] {
  const quote = src[start] as string;
  const triple = src.startsWith(quote.repeat(3), start);
  const delimiter = triple ? quote.repeat(3) : quote;
  let i = start + delimiter.length;
  let out = '';
  for (;;) {
    if (i >= src.length) throw NOT_A_LITERAL;
    if (src.startsWith(delimiter, i)) return [out, i + delimiter.length];
    const c = src[i] as string;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const next = src[i + 1];
    if (next === undefined) throw NOT_A_LITERAL;
    if (raw) {
      // A raw string keeps the backslash; it only stops the next character from closing it.
      out += c + next;
      i += 2;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (/[0-7]/.test(next)) {
      const m = /^[0-7]{1,3}/.exec(src.slice(i + 1)) as RegExpExecArray;
      out += String.fromCodePoint(Number.parseInt(m[0], 8));
      i += 1 + m[0].length;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const len = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = src.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw NOT_A_LITERAL;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw NOT_A_LITERAL;
      out += String.fromCodePoint(code);
      i += 2 + len;
    } else if (next === 'N') {
      throw NOT_A_LITERAL; // \N{NAME} needs the Unicode name table; rare enough to keep as text
    } else {
      out += c + next; // Python keeps unknown escapes as they are
      i += 2;
    }
  }
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.pos === this.tokens.length;
  }

  expression(): unknown {
    const token = this.take();
    if (token.kind === 'punct' && (token.value === '-' || token.value === '+')) {
      // literal_eval allows a sign only directly on a number (`-(1)` included), not on True.
      const operand = this.take();
      let n: unknown;
      if (operand.kind === 'num') n = operand.value;
      else if (operand.kind === 'punct' && operand.value === '(') n = this.parenthesised();
      if (typeof n !== 'number') throw NOT_A_LITERAL;
      return token.value === '-' ? 0 - n : n;
    }
    return this.atom(token);
  }

  private atom(token: Token): unknown {
    switch (token.kind) {
      case 'num':
        return token.value;
      case 'str': {
        let value = token.value;
        while (this.peek()?.kind === 'str') {
          const more = this.take() as Extract<Token, { kind: 'str' }>;
          if (more.bytes !== token.bytes) throw NOT_A_LITERAL;
          value += more.value;
        }
        return value;
      }
      case 'name':
        if (token.value === 'True') return true;
        if (token.value === 'False') return false;
        if (token.value === 'None') return null;
        throw NOT_A_LITERAL;
      case 'punct':
        if (token.value === '[') return this.sequence(']');
        if (token.value === '(') return this.parenthesised();
        if (token.value === '{') return this.braces();
        throw NOT_A_LITERAL;
    }
  }

  /** After '(': a tuple, or just the parenthesised expression. */
  private parenthesised(): unknown {
    if (this.eat(')')) return [];
    const first = this.expression();
    if (this.eat(')')) return first;
    this.expect(',');
    const items = [first];
    while (!this.eat(')')) {
      items.push(this.expression());
      if (!this.eat(',')) {
        this.expect(')');
        break;
      }
    }
    return items;
  }

  private sequence(close: string): unknown[] {
    const items: unknown[] = [];
    while (!this.eat(close)) {
      items.push(this.expression());
      if (!this.eat(',')) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  /** After '{': a dict, or a set (returned as an array, as Ansible's JSON output shows it). */
  private braces(): unknown {
    if (this.eat('}')) return {};
    const first = this.expression();
    if (!this.eat(':')) {
      const items = [first];
      if (this.eat(',')) items.push(...this.sequence('}'));
      else this.expect('}');
      return [...new Set(items)];
    }
    const dict: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      if (key !== null && typeof key === 'object') throw NOT_A_LITERAL; // unhashable key
      // defineProperty: a "__proto__" key is data here, not the object's prototype.
      Object.defineProperty(dict, String(key), { value: this.expression(), enumerable: true, writable: true, configurable: true });
      if (!this.eat(',')) {
        this.expect('}');
        return dict;
      }
      if (this.eat('}')) return dict;
      key = this.expression();
      this.expect(':');
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private take(): Token {
    const token = this.tokens[this.pos++];
    if (!token) throw NOT_A_LITERAL;
    return token;
  }

  private eat(punct: string): boolean {
    const token = this.peek();
    if (token?.kind === 'punct' && token.value === punct) {
      this.pos++;
      return true;
    }
    return false;
  }

  private expect(punct: string): void {
    if (!this.eat(punct)) throw NOT_A_LITERAL;
  }
}
