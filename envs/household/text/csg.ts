import { InvalidArgumentError } from '../../../src/errors.js';
import type { AtomSet } from '../pddl/atoms.js';

/** A symbol of a production's right-hand side, as TextWorld's CSG parser reads it. */
export type Sym =
  | { t: 'term'; text: string }
  | { t: 'nt'; name: string }
  | { t: 'eval'; expr: string }
  | { t: 'cond'; expr: Sym; given: string | null }
  | { t: 'list'; inner: Sym & { t: 'cond' } };

const LITERAL = /[^;|"<>[\]#{}]*/y;
const TAG = /[\p{L}\p{N}_()/!<>\-\s,.]+/uy;
const STATEMENT = /[^|[\]{}\n<>]+/y;
const GIVEN = /[^;|{}\n[\]#]+/y;
const BAR = /\s*\|\s*/y;
const LINE_COMMENT = /(?:\/\/[^\n]*|\s*)\n?/y;
const TABS = /\t+/y;

/**
 * Parses a right-hand side the way TextWorld's TatSu grammar does, including its edge cases: tabs are skipped before
 * symbols, whitespace at the very start of a line where a symbol begins is eaten as a comment (so a leading newline
 * vanishes), and parsing stops silently at the first character no symbol accepts (the rest of the text is dropped).
 */
export function parseRhs(text: string): Sym[] {
  let pos = 0;
  const sticky = (re: RegExp): string | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return null;
    pos = re.lastIndex;
    return m[0];
  };
  const skip = (): void => {
    for (;;) {
      const start = pos;
      if (pos === 0 || text[pos - 1] === '\n') sticky(LINE_COMMENT);
      sticky(TABS);
      if (pos === start) return;
    }
  };
  const tok = (c: string): boolean => {
    skip();
    if (text[pos] !== c) return false;
    pos++;
    return true;
  };
  const attempt = <T>(f: () => T | null): T | null => {
    const save = pos;
    const r = f();
    if (r === null) pos = save;
    return r;
  };
  const nonterminal = (): Sym | null =>
    attempt(() => {
      if (!tok('#')) return null;
      skip();
      const name = sticky(TAG);
      if (name === null || !tok('#')) return null;
      return { t: 'nt', name };
    });
  const evalSym = (): Sym | null =>
    attempt(() => {
      skip();
      const expr = sticky(STATEMENT);
      return expr === null ? null : { t: 'eval', expr };
    });
  const conditional = (): (Sym & { t: 'cond' }) | null =>
    attempt(() => {
      if (!tok('{')) return null;
      const expr = nonterminal() ?? evalSym();
      if (!expr) return null;
      const given = attempt(() => {
        if (sticky(BAR) === null) return null;
        skip();
        return sticky(GIVEN);
      });
      if (!tok('}')) return null;
      return { t: 'cond', expr, given };
    });
  const listSym = (): Sym | null =>
    attempt(() => {
      if (!tok('[')) return null;
      const inner = conditional();
      if (!inner || !tok(']')) return null;
      return { t: 'list', inner };
    });
  const terminal = (): Sym =>
    attempt(() => {
      if (text[pos] !== '"') return null;
      pos++;
      const lit = sticky(LITERAL)!;
      if (text[pos] !== '"') return null;
      pos++;
      return { t: 'term', text: lit } as Sym;
    }) ?? { t: 'term', text: sticky(LITERAL)! };
  const symbol = (): Sym => {
    skip();
    return listSym() ?? conditional() ?? nonterminal() ?? terminal();
  };
  const out: Sym[] = [symbol()];
  for (;;) {
    const before = pos;
    const s = symbol();
    if (pos === before) break;
    out.push(s);
  }
  return out;
}

/** The entity records grammar expressions read (`x.name`, `x.id`, `x.indefinite`, ...). */
export interface EntityRecord {
  id: string;
  name: string;
  type: string;
}

/** Where derivations read facts, types and names. */
export interface GrammarWorld {
  facts: AtomSet;
  entity(id: string): EntityRecord;
  hasType(type: string): boolean;
  isSubtype(type: string, ancestor: string): boolean;
}

/** A derivation context: placeholders bound to entities. Keys are `name:type`; values keep the binding's type too. */
export interface Context {
  mapping: Map<string, { id: string; type: string }>;
  /** name -> entity id, for expressions. */
  vars: Map<string, string>;
}

interface QueryAtom {
  pred: string;
  phs: { name: string; type: string }[];
}

type Value = string | EntityRecord | null;

function fail(message: string): never {
  throw new InvalidArgumentError('GRAMMAR', `text grammar: ${message}`);
}

/**
 * TextWorld's context-sensitive text grammar over a PDDL fact set. Derivation is deterministic: the first production
 * whose condition has a match is used; `{expr | query}` repeats once per match; queries run as nested loops over their
 * conjuncts in written order, each over that predicate's facts sorted by argument ids, binding every placeholder to a
 * distinct entity; `[...]` lists are joined with the grammar's own `list_separator` / `list_last_separator` symbols.
 */
export class Grammar {
  private readonly rules = new Map<string, { rhs: Sym[]; condition: QueryAtom[] | null }[]>();
  private readonly queries = new Map<string, QueryAtom[]>();
  private readonly parsed = new Map<string, Sym[]>();

  constructor(
    rules: Map<string, { rhs: string; condition?: string }[]>,
    private readonly world: GrammarWorld,
  ) {
    for (const [name, prods] of rules) {
      this.rules.set(
        name,
        prods.map((p) => ({ rhs: parseRhs(p.rhs), condition: p.condition ? this.query(p.condition) : null })),
      );
    }
  }

  /**
   * Whether deriving `start` can only read facts of predicates for which `isStatic` holds (no nonterminals, whose
   * rule conditions could read anything): such a derivation depends on the bindings alone and may be cached.
   */
  readsOnly(start: string, isStatic: (pred: string) => boolean): boolean {
    const ok = (s: Sym): boolean => {
      if (s.t === 'nt') return false;
      if (s.t === 'list') return ok(s.inner);
      if (s.t === 'cond') return ok(s.expr) && (!s.given || this.query(s.given).every((a) => isStatic(a.pred)));
      return true;
    };
    return parseRhs(start).every(ok);
  }

  /** Derives a start string (a template or `#symbol#`) in `ctx`. */
  derive(start: string, ctx: Context): string {
    let syms = this.parsed.get(start);
    if (!syms) this.parsed.set(start, (syms = parseRhs(start)));
    return this.deriveAll(syms, ctx);
  }

  private deriveAll(syms: Sym[], ctx: Context): string {
    let out = '';
    for (const s of syms) out += this.deriveOne(s, ctx);
    return out;
  }

  private deriveOne(s: Sym, ctx: Context): string {
    switch (s.t) {
      case 'term':
        return s.text;
      case 'nt':
        return this.deriveAll(this.choose(s.name, ctx), ctx);
      case 'eval':
        return display(this.evaluate(s.expr, ctx));
      case 'cond':
        return this.expand(s, ctx)
          .map((c) => this.deriveOne(s.expr, c))
          .join('');
      case 'list': {
        const items = this.expand(s.inner, ctx).map((c) => this.deriveOne(s.inner.expr, c));
        if (items.length === 0) return this.deriveOne({ t: 'nt', name: 'list_empty' }, ctx);
        if (items.length === 1) return items[0]!;
        const sep = this.deriveOne({ t: 'nt', name: 'list_separator' }, ctx);
        const last = this.deriveOne({ t: 'nt', name: 'list_last_separator' }, ctx);
        return items.slice(0, -1).join(sep) + last + items[items.length - 1];
      }
    }
  }

  private choose(name: string, ctx: Context): Sym[] {
    const prods = this.rules.get(name);
    if (!prods || prods.length === 0) fail(`can't find symbol '#${name}#' in the set of production rules`);
    for (const p of prods) {
      if (!p.condition) return p.rhs;
      for (const _ of this.assignments(p.condition, ctx.mapping)) return p.rhs;
    }
    fail(`no production of '#${name}#' applies`);
  }

  private expand(s: Sym & { t: 'cond' }, ctx: Context): Context[] {
    if (!s.given) return [ctx];
    const out: Context[] = [];
    for (const m of this.assignments(this.query(s.given), ctx.mapping)) {
      const vars = new Map(ctx.vars);
      for (const [k, v] of m) vars.set(k.slice(0, k.indexOf(':')), v.id);
      out.push({ mapping: new Map(m), vars });
    }
    return out;
  }

  private query(text: string): QueryAtom[] {
    let q = this.queries.get(text);
    if (q) return q;
    q = text.split('&').map((part) => {
      const m = /^\s*([\w-]+)\s*\(([^)]*)\)\s*$/.exec(part);
      if (!m) fail(`bad query "${text}"`);
      const phs = m[2]!.trim() === '' ? [] : m[2]!.split(',').map((a) => {
        const pm = /^\s*([\w-]+)\s*:\s*([\w-]+)\s*$/.exec(a);
        if (!pm) fail(`bad placeholder "${a}" in query "${text}"`);
        if (!this.world.hasType(pm[2]!)) fail(`unknown type "${pm[2]}" in query "${text}"`);
        return { name: pm[1]!, type: pm[2]! };
      });
      return { pred: m[1]!, phs };
    });
    this.queries.set(text, q);
    return q;
  }

  /** All matches of a conjunctive query, extending `pre` (the yielded map is reused: copy it to keep it). */
  private *assignments(q: QueryAtom[], pre: Map<string, { id: string; type: string }>): Generator<Map<string, { id: string; type: string }>> {
    const mapping = new Map(pre);
    const used = new Set([...pre.values()].map((v) => v.id + '\u0000' + v.type));
    const world = this.world;
    function* rec(depth: number): Generator<Map<string, { id: string; type: string }>> {
      if (depth === q.length) {
        yield mapping;
        return;
      }
      const atom = q[depth]!;
      const keys = atom.phs.map((p) => p.name + ':' + p.type);
      const pattern = keys.map((k) => mapping.get(k)?.id);
      // Facts agreeing with the bound placeholders, in sorted order (an index lookup when something is bound).
      const facts = pattern.some((v) => v !== undefined) ? sortArgs([...world.facts.match(atom.pred, pattern)]) : world.facts.sorted(atom.pred);
      for (const args of facts) {
        if (args.length !== keys.length) continue;
        const added: string[] = [];
        let ok = true;
        for (let i = 0; i < args.length; i++) {
          const type = world.entity(args[i]!).type;
          if (!world.isSubtype(type, atom.phs[i]!.type)) {
            ok = false;
            break;
          }
          const existing = mapping.get(keys[i]!);
          if (existing === undefined) {
            const vk = args[i]! + '\u0000' + type;
            if (used.has(vk)) {
              ok = false;
              break;
            }
            mapping.set(keys[i]!, { id: args[i]!, type });
            used.add(vk);
            added.push(keys[i]!);
          } else if (existing.id !== args[i] || existing.type !== type) {
            ok = false;
            break;
          }
        }
        if (ok) yield* rec(depth + 1);
        for (const k of added) {
          const v = mapping.get(k)!;
          used.delete(v.id + '\u0000' + v.type);
          mapping.delete(k);
        }
      }
    }
    yield* rec(0);
  }

  /** The small Python subset grammar expressions use: names, attributes, string literals, `+` and `or`. */
  private evaluate(expr: string, ctx: Context): Value {
    const tokens = expr.match(/'[^']*'|"[^"]*"|[A-Za-z_]\w*|\S/g) ?? [];
    let i = 0;
    const atom = (): Value => {
      const t = tokens[i++];
      if (t === undefined) fail(`incomplete expression "${expr}"`);
      if (t.startsWith("'") || t.startsWith('"')) return t.slice(1, -1);
      const id = ctx.vars.get(t);
      if (id === undefined) fail(`unknown name "${t}" in expression "${expr}"`);
      let v: Value = this.world.entity(id);
      while (tokens[i] === '.') {
        const attr = tokens[i + 1];
        i += 2;
        v = attribute(v, attr, expr);
      }
      return v;
    };
    const sum = (): Value => {
      let v = atom();
      while (tokens[i] === '+') {
        i++;
        v = display(v) + display(atom());
      }
      return v;
    };
    let v = sum();
    while (tokens[i] === 'or') {
      i++;
      const rhs = sum();
      if (!v) v = rhs;
    }
    if (i !== tokens.length) fail(`unsupported expression "${expr}"`);
    return v;
  }
}

function attribute(v: Value, attr: string | undefined, expr: string): Value {
  if (v === null || typeof v === 'string') fail(`attribute of a non-entity in "${expr}"`);
  switch (attr) {
    case 'name':
      return v.name;
    case 'id':
      return v.id;
    case 'type':
      return v.type;
    case 'indefinite':
      return 'a';
    case 'definite':
      return 'the';
    default:
      fail(`unsupported attribute "${attr}" in "${expr}"`);
  }
}

function sortArgs(list: string[][]): string[][] {
  return list.sort((a, b) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  });
}

function display(v: Value): string {
  if (v === null) return 'None';
  return typeof v === 'string' ? v : v.name;
}
