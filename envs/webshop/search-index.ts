/**
 * WebShop's search engine: Lucene's BM25 (k1 = 0.9, b = 0.4) as pyserini/Anserini run it, written to Lucene's own
 * float arithmetic so rankings and scores equal Lucene's: one-byte length norms (SmallFloat.intToByte4), the
 * `weight - weight / (1 + tf / norm)` scorer, bag-of-words queries whose repeated words boost their term, clause
 * scores summed in double, and score ties broken by ascending asin.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from './analyzer.js';
import { PostingsPool } from './postings-pool.js';

const f32 = Math.fround;
const K1 = f32(0.9);
const B = f32(0.4);

/** Lucene's SmallFloat.intToByte4: exact below 24, then 4 significant bits. */
export function lengthToNorm(len: number): number {
  if (len < 24) return len;
  const i = len - 24;
  const numBits = 32 - Math.clz32(i);
  if (numBits < 4) return 24 + i;
  const shift = numBits - 4;
  return 24 + (((i >>> shift) & 0x07) | ((shift + 1) << 3));
}

/** Lucene's SmallFloat.byte4ToInt. */
export function normToLength(norm: number): number {
  if (norm < 24) return norm;
  const i = norm - 24;
  const bits = i & 0x07;
  const shift = (i >>> 3) - 1;
  return 24 + (shift === -1 ? bits : (bits | 0x08) * 2 ** shift);
}

export interface Hit {
  doc: number;
  score: number;
}

/** Accumulates documents, in id order, into posting lists. */
export class IndexBuilder {
  private readonly pool = new PostingsPool();
  private readonly vocab = new Map<string, number>();
  private readonly lastDoc: number[] = [];
  private readonly df: number[] = [];
  private norms = new Uint8Array(1024);
  private docs = 0;
  private docCount = 0;
  private sumTotalTermFreq = 0;

  /** Adds the next document (its id is the number of documents added before it). */
  add(text: string): void {
    const doc = this.docs++;
    const counts = new Map<string, number>();
    const terms = analyze(text);
    for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
    if (doc >= this.norms.length) {
      const grown = new Uint8Array(this.norms.length * 2);
      grown.set(this.norms);
      this.norms = grown;
    }
    this.norms[doc] = lengthToNorm(terms.length);
    if (terms.length === 0) return;
    this.docCount++;
    this.sumTotalTermFreq += terms.length;
    for (const [term, tf] of counts) {
      let id = this.vocab.get(term);
      if (id === undefined) {
        id = this.pool.newStream();
        this.vocab.set(term, id);
        this.lastDoc.push(-1);
        this.df.push(0);
      }
      this.pool.writeVarint(id, doc - this.lastDoc[id]);
      this.pool.writeVarint(id, tf);
      this.lastDoc[id] = doc;
      this.df[id]++;
    }
  }

  /** Bytes held by the posting pool (for the benchmark's memory figures). */
  get poolBytes(): number {
    return this.pool.bytes;
  }

  /** The finished index; `tieRank[doc]` orders equal scores (rank of the document's asin). */
  finish(tieRank: Uint32Array): SearchIndex {
    const terms = [...this.vocab.keys()];
    const offsets = new Float64Array(terms.length + 1);
    let total = 0;
    for (let t = 0; t < terms.length; t++) {
      offsets[t] = total;
      total += this.pool.length[t];
    }
    offsets[terms.length] = total;
    const postings = new Uint8Array(total);
    for (let t = 0; t < terms.length; t++) this.pool.copyOut(t, postings, offsets[t]);
    return new SearchIndex({
      terms,
      df: Uint32Array.from(this.df),
      offsets,
      postings,
      norms: this.norms.slice(0, this.docs),
      tieRank,
      docCount: this.docCount,
      sumTotalTermFreq: this.sumTotalTermFreq,
    });
  }
}

interface IndexParts {
  terms: string[];
  df: Uint32Array;
  offsets: Float64Array;
  postings: Uint8Array;
  norms: Uint8Array;
  tieRank: Uint32Array;
  docCount: number;
  sumTotalTermFreq: number;
}

/** A searchable index; documents are numbered in catalog order. */
export class SearchIndex {
  private readonly vocab: Map<string, number>;
  private readonly normInverse = new Float64Array(256);
  private scores: Float64Array;
  private readonly touched: Uint32Array;

  constructor(private readonly parts: IndexParts) {
    this.vocab = new Map(parts.terms.map((t, i) => [t, i]));
    const avgdl = f32(parts.sumTotalTermFreq / Math.max(parts.docCount, 1));
    for (let i = 0; i < 256; i++) {
      this.normInverse[i] = f32(1 / f32(K1 * f32(f32(1 - B) + f32(f32(B * normToLength(i)) / avgdl))));
    }
    this.scores = new Float64Array(parts.norms.length);
    this.touched = new Uint32Array(parts.norms.length);
  }

  get size(): number {
    return this.parts.norms.length;
  }

  get termCount(): number {
    return this.parts.terms.length;
  }

  /** Lucene's idf, as a float. */
  idf(df: number): number {
    const n = this.parts.docCount;
    return f32(Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }

  /** The top `k` documents for a bag-of-words query, best first (Lucene's order). */
  search(query: string, k = 50): Hit[] {
    const counts = new Map<string, number>();
    for (const t of analyze(query)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const { offsets, postings, norms, df } = this.parts;
    const scores = this.scores;
    const touched = this.touched;
    let nTouched = 0;
    const byNorm = new Float64Array(256);
    for (const [term, boost] of counts) {
      const id = this.vocab.get(term);
      if (id === undefined) continue;
      const weight = f32(boost * this.idf(df[id]));
      // Scores of tf = 1 by norm, the common case.
      for (let i = 0; i < 256; i++) byNorm[i] = f32(weight - f32(weight / f32(1 + this.normInverse[i])));
      let p = offsets[id];
      const end = offsets[id + 1];
      let doc = -1;
      while (p < end) {
        let delta = 0;
        let mul = 1;
        let b: number;
        do {
          b = postings[p++];
          delta += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80);
        let tf = 0;
        mul = 1;
        do {
          b = postings[p++];
          tf += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80);
        doc += delta;
        const norm = norms[doc];
        const s = tf === 1 ? byNorm[norm] : f32(weight - f32(weight / f32(1 + f32(tf * this.normInverse[norm]))));
        if (scores[doc] === 0) touched[nTouched++] = doc;
        scores[doc] += s;
      }
    }
    const hits = this.topK(nTouched, k);
    for (let i = 0; i < nTouched; i++) scores[touched[i]] = 0;
    return hits;
  }

  /** Selects the best `k` touched documents with a bounded heap (worst hit at the root). */
  private topK(nTouched: number, k: number): Hit[] {
    const { scores, touched } = this;
    const rank = this.parts.tieRank;
    const heapDoc: number[] = [];
    const heapScore: number[] = [];
    // a is worse than b: lower score, or equal score and larger asin.
    const worse = (sa: number, da: number, sb: number, db: number) => sa < sb || (sa === sb && rank[da] > rank[db]);
    const swap = (i: number, j: number) => {
      [heapDoc[i], heapDoc[j]] = [heapDoc[j], heapDoc[i]];
      [heapScore[i], heapScore[j]] = [heapScore[j], heapScore[i]];
    };
    const siftDown = (i: number) => {
      const n = heapDoc.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && worse(heapScore[l], heapDoc[l], heapScore[m], heapDoc[m])) m = l;
        if (r < n && worse(heapScore[r], heapDoc[r], heapScore[m], heapDoc[m])) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    for (let i = 0; i < nTouched; i++) {
      const doc = touched[i];
      const s = f32(scores[doc]);
      if (heapDoc.length < k) {
        heapDoc.push(doc);
        heapScore.push(s);
        for (let c = heapDoc.length - 1; c > 0; ) {
          const parent = (c - 1) >> 1;
          if (!worse(heapScore[c], heapDoc[c], heapScore[parent], heapDoc[parent])) break;
          swap(c, parent);
          c = parent;
        }
      } else if (k > 0 && worse(heapScore[0], heapDoc[0], s, doc)) {
        heapDoc[0] = doc;
        heapScore[0] = s;
        siftDown(0);
      }
    }
    const hits = heapDoc.map((doc, i) => ({ doc, score: heapScore[i] }));
    return hits.sort((a, b) => (a.score !== b.score ? b.score - a.score : rank[a.doc] - rank[b.doc]));
  }

  /** Writes the index into `dir` (files `search.*`). */
  save(dir: string): void {
    const p = this.parts;
    writeFileSync(join(dir, 'search.terms'), p.terms.join('\n'));
    writeFileSync(join(dir, 'search.df'), p.df);
    writeFileSync(join(dir, 'search.offsets'), p.offsets);
    writeFileSync(join(dir, 'search.postings'), p.postings);
    writeFileSync(join(dir, 'search.norms'), p.norms);
    writeFileSync(join(dir, 'search.tierank'), p.tieRank);
    writeFileSync(join(dir, 'search.json'), JSON.stringify({ docCount: p.docCount, sumTotalTermFreq: p.sumTotalTermFreq }));
  }

  static load(dir: string): SearchIndex {
    const bytes = (name: string) => {
      const b = readFileSync(join(dir, name));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    };
    const stats = JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8')) as { docCount: number; sumTotalTermFreq: number };
    const termsText = readFileSync(join(dir, 'search.terms'), 'utf8');
    return new SearchIndex({
      terms: termsText.length === 0 ? [] : termsText.split('\n'),
      df: new Uint32Array(bytes('search.df')),
      offsets: new Float64Array(bytes('search.offsets')),
      postings: new Uint8Array(bytes('search.postings')),
      norms: new Uint8Array(bytes('search.norms')),
      tieRank: new Uint32Array(bytes('search.tierank')),
      ...stats,
    });
  }
}

/** Rank of each asin in ascending (byte) order: the tie-break key of equal scores. */
export function asinRanks(asins: readonly string[]): Uint32Array {
  const order = asins.map((_, i) => i).sort((a, b) => (asins[a] < asins[b] ? -1 : asins[a] > asins[b] ? 1 : 0));
  const rank = new Uint32Array(asins.length);
  order.forEach((doc, r) => (rank[doc] = r));
  return rank;
}
