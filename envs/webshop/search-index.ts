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
      // (delta << 1) | (tf == 1); tf follows only when it is not 1 (most postings).
      this.pool.writeVarint(id, (doc - this.lastDoc[id]) * 2 + (tf === 1 ? 1 : 0));
      if (tf !== 1) this.pool.writeVarint(id, tf);
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
    const norms = this.norms.slice(0, this.docs);
    const normInverse = normInverseTable(this.sumTotalTermFreq, this.docCount);
    const skip = buildSkips(offsets, postings, norms, normInverse);
    return new SearchIndex({
      terms,
      df: Uint32Array.from(this.df),
      offsets,
      postings,
      norms,
      tieRank,
      docCount: this.docCount,
      sumTotalTermFreq: this.sumTotalTermFreq,
      ...skip,
    });
  }
}

/** Postings per skip block: long lists can be entered at a block boundary. */
const BLOCK = 128;

interface SkipParts {
  /** Per term, the index of its first block in skipDoc/skipByte (terms + 1 entries). */
  skipStart: Uint32Array;
  /** Last document of each block. */
  skipDoc: Uint32Array;
  /** Byte offset where each block starts. */
  skipByte: Float64Array;
  /** Per term, the largest tf × normInverse of its postings: bounds the term's score contribution. */
  maxTfNorm: Float32Array;
}

interface IndexParts extends SkipParts {
  terms: string[];
  df: Uint32Array;
  offsets: Float64Array;
  postings: Uint8Array;
  norms: Uint8Array;
  tieRank: Uint32Array;
  docCount: number;
  sumTotalTermFreq: number;
}

/** 1 / (k1 (1 - b + b dl / avgdl)) per norm byte, in Lucene's float arithmetic. */
function normInverseTable(sumTotalTermFreq: number, docCount: number): Float64Array {
  const avgdl = f32(sumTotalTermFreq / Math.max(docCount, 1));
  const table = new Float64Array(256);
  for (let i = 0; i < 256; i++) table[i] = f32(1 / f32(K1 * f32(f32(1 - B) + f32(f32(B * normToLength(i)) / avgdl))));
  return table;
}

/** Reads the posting at `p`: sets cur.doc (from prevDoc), cur.tf, cur.p. */
interface Cursor {
  p: number;
  doc: number;
  tf: number;
}

function readPosting(postings: Uint8Array, cur: Cursor): void {
  let p = cur.p;
  let v = 0;
  let mul = 1;
  let b: number;
  do {
    b = postings[p++];
    v += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  cur.doc += Math.floor(v / 2);
  if (v & 1) cur.tf = 1;
  else {
    let tf = 0;
    mul = 1;
    do {
      b = postings[p++];
      tf += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    cur.tf = tf;
  }
  cur.p = p;
}

/** Skip blocks and per-term score bounds, from one pass over the postings. */
function buildSkips(offsets: Float64Array, postings: Uint8Array, norms: Uint8Array, normInverse: Float64Array): SkipParts {
  const terms = offsets.length - 1;
  const skipStart = new Uint32Array(terms + 1);
  const skipDoc: number[] = [];
  const skipByte: number[] = [];
  const maxTfNorm = new Float32Array(terms);
  const cur: Cursor = { p: 0, doc: -1, tf: 0 };
  for (let t = 0; t < terms; t++) {
    skipStart[t] = skipDoc.length;
    cur.p = offsets[t];
    cur.doc = -1;
    let n = 0;
    let best = 0;
    while (cur.p < offsets[t + 1]) {
      if (n % BLOCK === 0) skipByte.push(cur.p);
      readPosting(postings, cur);
      n++;
      if (n % BLOCK === 0 || cur.p === offsets[t + 1]) skipDoc.push(cur.doc);
      const x = f32(cur.tf * normInverse[norms[cur.doc]]);
      if (x > best) best = x;
    }
    maxTfNorm[t] = best;
  }
  skipStart[terms] = skipDoc.length;
  return { skipStart, skipDoc: Uint32Array.from(skipDoc), skipByte: Float64Array.from(skipByte), maxTfNorm };
}

/**
 * The k best partial scores seen so far, as a min-heap of distinct documents. A document's entry is raised when
 * its partial score grows past the heap's minimum; entries may lag behind (scores only grow), so the minimum is
 * always a lower bound of the k-th best current partial score — a safe pruning threshold.
 */
class PartialTopK {
  private readonly docs: Int32Array;
  private readonly vals: Float64Array;
  private size = 0;

  constructor(
    private readonly k: number,
    private readonly pos: Int32Array,
  ) {
    this.docs = new Int32Array(k);
    this.vals = new Float64Array(k);
  }

  /** Below this, an offer cannot change the heap. */
  min(): number {
    return this.size < this.k ? -Infinity : this.vals[0];
  }

  /** The pruning threshold (a float): the k-th best partial score, or -Infinity before k documents. */
  threshold(): number {
    return this.size < this.k || this.k === 0 ? -Infinity : f32(this.vals[0]);
  }

  /** Records `doc`'s partial score `v`; returns the new minimum. */
  offer(doc: number, v: number): number {
    if (this.k === 0) return Infinity;
    let at = this.pos[doc];
    if (at < 0) {
      if (this.size < this.k) {
        at = this.size++;
        this.place(at, doc, v);
        this.up(at);
        return this.min();
      }
      this.pos[this.docs[0]] = -1;
      at = 0;
    }
    this.place(at, doc, v);
    this.down(at);
    return this.min();
  }

  private place(at: number, doc: number, v: number): void {
    this.docs[at] = doc;
    this.vals[at] = v;
    this.pos[doc] = at;
  }

  private swap(a: number, b: number): void {
    const da = this.docs[a];
    const va = this.vals[a];
    this.place(a, this.docs[b], this.vals[b]);
    this.place(b, da, va);
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.vals[parent] <= this.vals[at]) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(at: number): void {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let m = at;
      if (l < this.size && this.vals[l] < this.vals[m]) m = l;
      if (r < this.size && this.vals[r] < this.vals[m]) m = r;
      if (m === at) return;
      this.swap(at, m);
      at = m;
    }
  }

  /** Forgets every entry (restores the shared position map). */
  clear(): void {
    for (let i = 0; i < this.size; i++) this.pos[this.docs[i]] = -1;
    this.size = 0;
  }
}

/** A searchable index; documents are numbered in catalog order. */
export class SearchIndex {
  private readonly vocab: Map<string, number>;
  private readonly normInverse: Float64Array;
  private scores: Float64Array;
  private readonly touched: Uint32Array;
  /** Position of each document in PartialTopK's heap, or -1 (kept all -1 between searches). */
  private readonly heapPos: Int32Array;

  constructor(private readonly parts: IndexParts) {
    this.vocab = new Map(parts.terms.map((t, i) => [t, i]));
    this.normInverse = normInverseTable(parts.sumTotalTermFreq, parts.docCount);
    this.scores = new Float64Array(parts.norms.length);
    this.touched = new Uint32Array(parts.norms.length);
    this.heapPos = new Int32Array(parts.norms.length).fill(-1);
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

  /**
   * The top `k` documents for a bag-of-words query, best first (Lucene's order). Terms are scored in order of
   * their score bound; once the bounds of the remaining terms cannot lift an unseen document past the k-th
   * partial score, the remaining terms are only looked up (through skip blocks) for documents that still can
   * reach the top k. Every reported score is the complete one, so results equal exhaustive scoring.
   */
  search(query: string, k = 50): Hit[] {
    const counts = new Map<string, number>();
    for (const t of analyze(query)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const { df, maxTfNorm } = this.parts;
    const terms: { id: number; weight: number; bound: number }[] = [];
    for (const [term, boost] of counts) {
      const id = this.vocab.get(term);
      if (id === undefined) continue;
      const weight = f32(boost * this.idf(df[id]));
      terms.push({ id, weight, bound: f32(weight - f32(weight / f32(1 + maxTfNorm[id]))) });
    }
    terms.sort((a, b) => b.bound - a.bound);
    // Bound of what the terms after i can add (summed afresh, never by subtraction, to stay an upper bound).
    const restAfter = (i: number) => terms.slice(i + 1).reduce((s, t) => s + t.bound, 0);
    let rest = 0;
    let nTouched = 0;
    let i = 0;
    const floor = new PartialTopK(k, this.heapPos);
    for (; i < terms.length; i++) {
      nTouched = this.accumulate(terms[i].id, terms[i].weight, nTouched, floor);
      rest = restAfter(i);
      if (i + 1 < terms.length && f32(rest) < floor.threshold()) break;
    }
    const theta = floor.threshold();
    floor.clear();
    let hits: Hit[];
    if (i + 1 < terms.length) {
      // Only documents whose partial score plus the remaining bounds can still reach the k-th score; the set
      // shrinks as the remaining bounds do.
      let candidates: number[] = [];
      for (let j = 0; j < nTouched; j++) {
        const doc = this.touched[j];
        if (f32(this.scores[doc] + rest) >= theta) candidates.push(doc);
      }
      candidates.sort((a, b) => a - b);
      for (let j = i + 1; j < terms.length; j++) {
        if (j > i + 1) candidates = this.reachable(candidates, restAfter(j - 1), k);
        this.lookup(terms[j].id, terms[j].weight, candidates);
      }
      hits = this.topK(candidates, candidates.length, k);
    } else {
      hits = this.topK(this.touched, nTouched, k);
    }
    for (let j = 0; j < nTouched; j++) this.scores[this.touched[j]] = 0;
    return hits;
  }

  /** Lucene's per-posting score. */
  private termScore(weight: number, tf: number, norm: number): number {
    return f32(weight - f32(weight / f32(1 + f32(tf * this.normInverse[norm]))));
  }

  /**
   * Adds a term's contribution to every document of its posting list (decoding inlined: this is the hot loop);
   * returns the new touched count. `floor` follows the best partial scores.
   */
  private accumulate(id: number, weight: number, nTouched: number, floor: PartialTopK): number {
    const { offsets, postings, norms } = this.parts;
    const scores = this.scores;
    const touched = this.touched;
    // Scores of tf = 1 by norm, the common case.
    const byNorm = new Float64Array(256);
    for (let n = 0; n < 256; n++) byNorm[n] = this.termScore(weight, 1, n);
    let p = offsets[id];
    const end = offsets[id + 1];
    let doc = -1;
    let min = floor.min();
    while (p < end) {
      let b = postings[p++];
      let v = b & 0x7f;
      for (let mul = 128; b & 0x80; mul *= 128) {
        b = postings[p++];
        v += (b & 0x7f) * mul;
      }
      doc += v >>> 1;
      let s: number;
      if (v & 1) s = byNorm[norms[doc]];
      else {
        b = postings[p++];
        let tf = b & 0x7f;
        for (let mul = 128; b & 0x80; mul *= 128) {
          b = postings[p++];
          tf += (b & 0x7f) * mul;
        }
        s = this.termScore(weight, tf, norms[doc]);
      }
      const old = scores[doc];
      if (old === 0) touched[nTouched++] = doc;
      const now = old + s;
      scores[doc] = now;
      if (now > min) min = floor.offer(doc, now);
    }
    return nTouched;
  }

  /** Adds a term's contribution to the given documents (ascending) only, entering its list at skip blocks. */
  private lookup(id: number, weight: number, docs: number[]): void {
    const { offsets, postings, norms, skipStart, skipDoc, skipByte } = this.parts;
    const end = offsets[id + 1];
    const lastBlock = skipStart[id + 1];
    let block = skipStart[id];
    const cur: Cursor = { p: offsets[id], doc: -1, tf: 0 };
    for (const target of docs) {
      if (block < lastBlock && skipDoc[block] < target) {
        while (block < lastBlock && skipDoc[block] < target) block++;
        if (block === lastBlock) return;
        cur.p = skipByte[block];
        cur.doc = block > skipStart[id] ? skipDoc[block - 1] : -1;
      }
      while (cur.doc < target && cur.p < end) readPosting(postings, cur);
      if (cur.doc === target) this.scores[target] += this.termScore(weight, cur.tf, norms[target]);
      else if (cur.doc < target) return;
    }
  }

  /** The documents of `docs` whose partial score plus `rest` can still reach the k-th best partial score. */
  private reachable(docs: number[], rest: number, k: number): number[] {
    const theta = this.kthScore(docs, k);
    return docs.filter((doc) => f32(this.scores[doc] + rest) >= theta);
  }

  /** The k-th largest accumulated score (as a float) of `docs`; -Infinity with fewer than k. */
  private kthScore(docs: number[], k: number): number {
    if (docs.length < k || k === 0) return -Infinity;
    const heap: number[] = [];
    for (const doc of docs) {
      const s = f32(this.scores[doc]);
      if (heap.length < k) {
        heap.push(s);
        for (let c = heap.length - 1; c > 0 && heap[(c - 1) >> 1] > heap[c]; c = (c - 1) >> 1) [heap[c], heap[(c - 1) >> 1]] = [heap[(c - 1) >> 1], heap[c]];
      } else if (s > heap[0]) {
        heap[0] = s;
        for (let c = 0; ; ) {
          const l = 2 * c + 1;
          const r = l + 1;
          let m = c;
          if (l < k && heap[l] < heap[m]) m = l;
          if (r < k && heap[r] < heap[m]) m = r;
          if (m === c) break;
          [heap[c], heap[m]] = [heap[m], heap[c]];
          c = m;
        }
      }
    }
    return heap[0];
  }

  /** Selects the best `k` of the first `n` of `docs` with a bounded heap (worst hit at the root). */
  private topK(docs: ArrayLike<number>, n: number, k: number): Hit[] {
    const { scores } = this;
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
    for (let i = 0; i < n; i++) {
      const doc = docs[i];
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
    writeFileSync(join(dir, 'search.skipstart'), p.skipStart);
    writeFileSync(join(dir, 'search.skipdoc'), p.skipDoc);
    writeFileSync(join(dir, 'search.skipbyte'), p.skipByte);
    writeFileSync(join(dir, 'search.maxtfnorm'), p.maxTfNorm);
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
      skipStart: new Uint32Array(bytes('search.skipstart')),
      skipDoc: new Uint32Array(bytes('search.skipdoc')),
      skipByte: new Float64Array(bytes('search.skipbyte')),
      maxTfNorm: new Float32Array(bytes('search.maxtfnorm')),
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
