/**
 * The noun source of the reward's title score. Upstream takes spaCy's NOUN/PROPN tokens of product names; here a
 * per-product sidecar `{asin: [nouns]}` made once with spaCy gives exact values, and wink-nlp's POS tagger is the
 * fallback (it can differ from spaCy near the 0.1/0.2 title-score thresholds; buying the target always scores 1).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type Tagger = (text: string) => { text: string; pos: string }[];

let tagger: Tagger | null = null;

function winkTagger(): Tagger {
  if (!tagger) {
    const require = createRequire(import.meta.url);
    const winkNLP = require('wink-nlp') as (model: unknown) => {
      readDoc(t: string): { tokens(): { out(f?: unknown): string[] } };
      its: { pos: unknown };
    };
    const nlp = winkNLP(require('wink-eng-lite-web-model'));
    tagger = (text) => {
      const tokens = nlp.readDoc(text).tokens();
      const words = tokens.out();
      const pos = tokens.out(nlp.its.pos);
      return words.map((w, i) => ({ text: w, pos: pos[i] }));
    };
  }
  return tagger;
}

/** Lowercased NOUN/PROPN tokens of `text`, in order, duplicates kept (wink-nlp). */
export function taggedNouns(text: string): string[] {
  return winkTagger()(text)
    .filter((t) => t.pos === 'NOUN' || t.pos === 'PROPN')
    .map((t) => t.text.toLowerCase());
}

/** Nouns of product names: from the sidecar when it has the asin, else from the tagger (memoised). */
export class NounSource {
  private readonly sidecar: Map<string, string[]>;
  private readonly memo = new Map<string, string[]>();

  constructor(sidecarPath?: string) {
    this.sidecar = new Map(sidecarPath ? Object.entries(JSON.parse(readFileSync(sidecarPath, 'utf8')) as Record<string, string[]>) : []);
  }

  nouns(asin: string, name: string): string[] {
    const known = this.sidecar.get(asin);
    if (known) return known.map((n) => n.toLowerCase());
    let n = this.memo.get(name);
    if (!n) {
      n = taggedNouns(name);
      this.memo.set(name, n);
    }
    return n;
  }
}
