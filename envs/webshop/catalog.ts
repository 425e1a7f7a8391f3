/**
 * A WebShop data folder turned into a compact on-disk index, built once and reused: normalised products as JSONL
 * with byte offsets (read one at a time), asins, price ranges, and the BM25 index. The source JSON files are
 * streamed, so the full 1.18M-product catalog loads without ever being one string.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../src/errors.js';
import { forEachArrayElement, forEachObjectEntry } from './json-stream.js';
import { type InsRecord, type Product, normalizeProduct, searchText, validAsin } from './product.js';
import { IndexBuilder, SearchIndex, asinRanks } from './search-index.js';

const INDEX_VERSION = 2;

/** The WebShop files of a data folder (the full catalog when present, else the 1000-product subset). */
export interface ShopFiles {
  products: string;
  ins: string | null;
  human: string | null;
}

export function resolveShopFiles(dataDir: string): ShopFiles {
  const first = (names: string[]) => names.map((n) => join(dataDir, n)).find((p) => existsSync(p)) ?? null;
  const products = first(['items_shuffle.json', 'items_shuffle_1000.json']);
  if (!products) throw new InvalidArgumentError('NO_WEBSHOP_DATA', `no items_shuffle.json or items_shuffle_1000.json in ${dataDir}`);
  const full = products.endsWith('items_shuffle.json');
  return {
    products,
    ins: first(full ? ['items_ins_v2.json', 'items_ins_v2_1000.json'] : ['items_ins_v2_1000.json', 'items_ins_v2.json']),
    human: first(['items_human_ins.json']),
  };
}

interface Meta {
  version: number;
  sources: { path: string; size: number; mtimeMs: number }[];
  count: number;
}

function sourcesOf(files: ShopFiles): Meta['sources'] {
  return [files.products, files.ins].filter((p): p is string => p !== null).map((path) => {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  });
}

/** Buffered appends to a file descriptor. */
class Appender {
  private parts: Buffer[] = [];
  private pending = 0;
  written = 0;
  constructor(private readonly fd: number) {}
  write(text: string): void {
    const b = Buffer.from(text, 'utf8');
    this.parts.push(b);
    this.pending += b.length;
    this.written += b.length;
    if (this.pending > 1 << 22) this.flush();
  }
  flush(): void {
    if (this.pending === 0) return;
    writeSync(this.fd, Buffer.concat(this.parts));
    this.parts = [];
    this.pending = 0;
  }
}

export interface BuildReport {
  products: number;
  skipped: number;
  seconds: number;
  terms: number;
  postingPoolBytes: number;
}

/**
 * Streams the catalog into `indexDir`: `load_products`' filtering (asin "nan", longer than 10, duplicates) and
 * normalisation, joined with items_ins_v2, plus the search index. Written to a temporary folder, then renamed.
 */
export function buildShopIndex(files: ShopFiles, indexDir: string): BuildReport {
  const started = Date.now();
  const tmp = `${indexDir}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // items_ins_v2 held as raw JSON text per asin (compact), parsed when its product comes by.
  const ins = new Map<string, string>();
  if (files.ins) forEachObjectEntry(files.ins, (asin, raw) => ins.set(asin, raw));
  const seen = new Set<string>();
  const asins: string[] = [];
  const offsets: number[] = [0];
  const ranges: number[] = [];
  const builder = new IndexBuilder();
  const fd = openSync(join(tmp, 'products.jsonl'), 'w');
  const out = new Appender(fd);
  let skipped = 0;
  try {
    forEachArrayElement(files.products, (value) => {
      const raw = value as Record<string, unknown>;
      if (!raw || !validAsin(raw.asin) || seen.has(raw.asin)) {
        skipped++;
        return;
      }
      seen.add(raw.asin);
      const insRaw = ins.get(raw.asin);
      const product = normalizeProduct(raw, insRaw === undefined ? undefined : (JSON.parse(insRaw) as InsRecord));
      asins.push(product.asin);
      ranges.push(product.pricing[0], product.pricing.length > 1 ? product.pricing[1] : NaN);
      out.write(JSON.stringify(product) + '\n');
      offsets.push(out.written);
      builder.add(searchText(product));
    });
    out.flush();
  } finally {
    closeSync(fd);
  }
  const postingPoolBytes = builder.poolBytes;
  const index = builder.finish(asinRanks(asins));
  index.save(tmp);
  writeFileSync(join(tmp, 'products.offsets'), new Float64Array(offsets));
  writeFileSync(join(tmp, 'pricing'), new Float64Array(ranges));
  writeFileSync(join(tmp, 'asins.txt'), asins.join('\n'));
  const meta: Meta = { version: INDEX_VERSION, sources: sourcesOf(files), count: asins.length };
  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta));
  rmSync(indexDir, { recursive: true, force: true });
  renameSync(tmp, indexDir);
  return { products: asins.length, skipped, seconds: (Date.now() - started) / 1000, terms: index.termCount, postingPoolBytes };
}

/** Whether `indexDir` holds an index of exactly these source files. */
export function indexIsCurrent(files: ShopFiles, indexDir: string): boolean {
  const metaPath = join(indexDir, 'meta.json');
  if (!existsSync(metaPath)) return false;
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Meta;
  return meta.version === INDEX_VERSION && JSON.stringify(meta.sources) === JSON.stringify(sourcesOf(files));
}

function floats(path: string): Float64Array {
  const b = readFileSync(path);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A built catalog: products by document number (catalog order), asins, price ranges, search. */
export class Catalog {
  readonly asins: string[];
  /** [lo, hi] per document; hi is NaN for a single price. */
  readonly ranges: Float64Array;
  readonly index: SearchIndex;
  private readonly offsets: Float64Array;
  private readonly fd: number;
  private byAsin: Map<string, number> | null = null;
  private readonly cache = new Map<number, Product>();

  constructor(readonly dir: string) {
    const asinText = readFileSync(join(dir, 'asins.txt'), 'utf8');
    this.asins = asinText.length === 0 ? [] : asinText.split('\n');
    this.ranges = floats(join(dir, 'pricing'));
    this.offsets = floats(join(dir, 'products.offsets'));
    this.index = SearchIndex.load(dir);
    this.fd = openSync(join(dir, 'products.jsonl'), 'r');
  }

  get size(): number {
    return this.asins.length;
  }

  /** The normalised product of document `doc` (read from disk; recent ones cached). */
  product(doc: number): Product {
    let p = this.cache.get(doc);
    if (!p) {
      const start = this.offsets[doc];
      const buf = Buffer.allocUnsafe(this.offsets[doc + 1] - start);
      readSync(this.fd, buf, 0, buf.length, start);
      p = JSON.parse(buf.toString('utf8')) as Product;
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(doc, p);
    }
    return p;
  }

  /** Document number of an asin, or undefined. */
  docOf(asin: string): number | undefined {
    if (!this.byAsin) this.byAsin = new Map(this.asins.map((a, i) => [a, i]));
    return this.byAsin.get(asin);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens the catalog of a data folder, building its index first when missing or stale. */
export function openCatalog(dataDir: string, indexDir = join(dataDir, 'rl-ggml-index')): { catalog: Catalog; files: ShopFiles; built: BuildReport | null } {
  const files = resolveShopFiles(dataDir);
  const built = indexIsCurrent(files, indexDir) ? null : buildShopIndex(files, indexDir);
  return { catalog: new Catalog(indexDir), files, built };
}
