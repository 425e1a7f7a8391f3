import { InvalidArgumentError } from '../../../src/errors.js';

/** A parsed PDDL list: a token or a nested list. */
export type SExpr = string | SExpr[];

/**
 * Tokenizes PDDL the way Fast Downward's translator does: `;` starts a comment, everything is lowercased, and tokens
 * are split only on whitespace and parentheses (a `?` also starts a new token). Commas therefore stay glued to their
 * token, which is what turns `?l - location,` into a variable of the type `location,` (a quirk real games rely on).
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.split(';', 1)[0]!.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').replace(/\?/g, ' ?');
    for (const token of line.split(/\s+/)) if (token) tokens.push(token.toLowerCase());
  }
  return tokens;
}

/** Parses one top-level parenthesized list (e.g. a whole `(define ...)`). */
export function parseSExpr(text: string): SExpr[] {
  const tokens = tokenize(text);
  let pos = 0;
  const parseList = (): SExpr[] => {
    const out: SExpr[] = [];
    for (;;) {
      const tok = tokens[pos++];
      if (tok === undefined) throw new InvalidArgumentError('PDDL_PARSE', 'PDDL: missing closing parenthesis');
      if (tok === ')') return out;
      out.push(tok === '(' ? parseList() : tok);
    }
  };
  if (tokens[pos++] !== '(') throw new InvalidArgumentError('PDDL_PARSE', 'PDDL: expected "(" at the start');
  const result = parseList();
  if (pos !== tokens.length) throw new InvalidArgumentError('PDDL_PARSE', 'PDDL: text after the closing parenthesis');
  return result;
}

export function isList(x: SExpr | undefined): x is SExpr[] {
  return Array.isArray(x);
}
