/** Separator inside atom keys; never part of a PDDL token. */
const SEP = '\u0000';

export function atomKey(pred: string, args: readonly string[]): string {
  return args.length ? pred + SEP + args.join(SEP) : pred;
}

/**
 * A set of ground atoms, indexed by predicate and by (predicate, argument position, value) so that joins can look up
 * the atoms that agree with already-bound arguments. Sorted views per predicate are cached for the text grammar's
 * queries, which must iterate facts in sorted argument order.
 */
export class AtomSet {
  private readonly atoms = new Map<string, { pred: string; args: string[] }>();
  private readonly byPred = new Map<string, Set<string>>();
  private readonly byArg = new Map<string, Set<string>>();
  private readonly sortedCache = new Map<string, string[][]>();

  has(pred: string, args: readonly string[]): boolean {
    return this.atoms.has(atomKey(pred, args));
  }

  add(pred: string, args: readonly string[]): void {
    const key = atomKey(pred, args);
    if (this.atoms.has(key)) return;
    const copy = [...args];
    this.atoms.set(key, { pred, args: copy });
    this.bucket(this.byPred, pred).add(key);
    copy.forEach((a, i) => this.bucket(this.byArg, pred + SEP + i + SEP + a).add(key));
    this.sortedCache.delete(pred);
  }

  delete(pred: string, args: readonly string[]): void {
    const key = atomKey(pred, args);
    if (!this.atoms.delete(key)) return;
    this.byPred.get(pred)!.delete(key);
    args.forEach((a, i) => this.byArg.get(pred + SEP + i + SEP + a)!.delete(key));
    this.sortedCache.delete(pred);
  }

  /** Atoms of `pred` whose arguments equal `pattern` wherever the pattern is defined (fresh array per atom not made). */
  *match(pred: string, pattern: readonly (string | undefined)[]): Iterable<string[]> {
    let best = this.byPred.get(pred);
    if (!best) return;
    for (let i = 0; i < pattern.length; i++) {
      const v = pattern[i];
      if (v === undefined) continue;
      const set = this.byArg.get(pred + SEP + i + SEP + v);
      if (!set) return;
      if (set.size < best.size) best = set;
    }
    outer: for (const key of best) {
      const args = this.atoms.get(key)!.args;
      if (args.length !== pattern.length) continue;
      for (let i = 0; i < pattern.length; i++) if (pattern[i] !== undefined && pattern[i] !== args[i]) continue outer;
      yield args;
    }
  }

  /** An upper bound on how many atoms `match` would yield (the smallest index bucket). */
  estimate(pred: string, pattern: readonly (string | undefined)[]): number {
    let best = this.byPred.get(pred)?.size ?? 0;
    for (let i = 0; i < pattern.length && best > 0; i++) {
      const v = pattern[i];
      if (v !== undefined) best = Math.min(best, this.byArg.get(pred + SEP + i + SEP + v)?.size ?? 0);
    }
    return best;
  }

  /** All atoms of `pred`, sorted by their argument lists (Python tuple order on code points). */
  sorted(pred: string): string[][] {
    let cached = this.sortedCache.get(pred);
    if (!cached) {
      cached = [...(this.byPred.get(pred) ?? [])].map((k) => this.atoms.get(k)!.args);
      cached.sort(compareArgs);
      this.sortedCache.set(pred, cached);
    }
    return cached;
  }

  /** Every atom as `[pred, ...args]`. */
  list(): string[][] {
    return [...this.atoms.values()].map((a) => [a.pred, ...a.args]);
  }

  private bucket(map: Map<string, Set<string>>, key: string): Set<string> {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    return set;
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareArgs(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(a[i]!, b[i]!);
    if (c) return c;
  }
  return a.length - b.length;
}
