import { InvalidArgumentError } from '../../../src/errors.js';

/** One `action Name { ... }` block of a `.twl2` file. */
export interface Twl2Action {
  name: string;
  template: string;
  feedback: string;
}

/** A `.twl2` document: actions keyed by lowercased name and the merged text-grammar rules. */
export interface Twl2Document {
  actions: Map<string, Twl2Action>;
  /** symbol -> production rules (raw JSON objects `{rhs, condition?}`), later blocks replacing earlier keys. */
  rules: Map<string, { rhs: string; condition?: string }[]>;
}

function fail(message: string): never {
  throw new InvalidArgumentError('TWL2_PARSE', `twl2: ${message}`);
}

/**
 * Reads TextWorld's `.twl2` logic document. Between tokens, whitespace and `#` comments are skipped; template and
 * feedback strings are taken verbatim between double quotes; grammar blocks are triple-quoted JSON. As in TextWorld,
 * lines starting with `#` inside an action's grammar block are dropped before the JSON is read (not in global blocks).
 */
export function parseTwl2(text: string): Twl2Document {
  let pos = 0;
  const skip = (): void => {
    for (;;) {
      const m = /(?:\s+|#[^\n]*)/y;
      m.lastIndex = pos;
      if (!m.exec(text) || m.lastIndex === pos) return;
      pos = m.lastIndex;
    }
  };
  const token = (t: string): boolean => {
    skip();
    if (!text.startsWith(t, pos)) return false;
    if (/\w/.test(t[t.length - 1]!) && /\w/.test(text[pos + t.length] ?? '')) return false;
    pos += t.length;
    return true;
  };
  const expect = (t: string): void => {
    if (!token(t)) fail(`expected "${t}" at offset ${pos}`);
  };
  const pattern = (re: RegExp, what: string): string => {
    skip();
    const r = new RegExp(re.source, 'y');
    r.lastIndex = pos;
    const m = r.exec(text);
    if (!m) fail(`expected ${what} at offset ${pos}`);
    pos = r.lastIndex;
    return m[0];
  };
  const block = (): string => pattern(/"""[\s\S]*?"""/, 'a """ block """').slice(3, -3);
  const quoted = (): string => pattern(/"[^"]*"/, 'a quoted string').slice(1, -1);
  const doc: Twl2Document = { actions: new Map(), rules: new Map() };
  const merge = (json: string): void => {
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (err) {
      fail(`grammar block is not valid JSON (${(err as Error).message})`);
    }
    for (const [k, v] of Object.entries(data as Record<string, { rhs: string; condition?: string }[]>)) doc.rules.set(k, v);
  };
  for (;;) {
    skip();
    if (pos >= text.length) break;
    if (token('grammar')) {
      expect('::');
      merge(block());
      expect(';');
    } else if (token('action')) {
      const name = pattern(/[\w/-]+/, 'an action name');
      expect('{');
      const action: Twl2Action = { name, template: '', feedback: '' };
      while (!token('}')) {
        if (token('template')) {
          expect('::');
          action.template = quoted();
        } else if (token('feedback')) {
          expect('::');
          action.feedback = quoted();
        } else if (token('pddl')) {
          expect('::');
          block();
        } else if (token('grammar')) {
          expect('::');
          merge(block().split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n'));
        } else fail(`unexpected text in action ${name} at offset ${pos}`);
        expect(';');
      }
      doc.actions.set(name.toLowerCase(), action);
    } else fail(`unexpected text at offset ${pos}`);
  }
  return doc;
}
