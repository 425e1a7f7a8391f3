/** A loaded WebShop: catalog, reward prices, shuffled goals, noun source and the search action's engine. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Catalog, type BuildReport, openCatalog } from './catalog.js';
import { type Goal, makeGoals, readHumanInstructions } from './goals.js';
import { NounSource } from './nouns.js';

export interface ShopOptions {
  dataDir: string;
  /** Where the built index lives (default `<dataDir>/rl-ggml-index`). */
  indexDir?: string;
  /** Seed of the RNG stretch upstream leaves unseeded (range prices, price limits); default 0. */
  priceSeed?: number;
  /** Human goals (items_human_ins.json, ETO's mode; default) or synthetic ones from items_ins_v2. */
  humanGoals?: boolean;
  /** Optional `{asin: [nouns]}` made with spaCy, for exact r_type (default: `<dataDir>/nouns.json` when present). */
  nounsFile?: string;
}

/** Results the search action returns (WebShop's SEARCH_RETURN_N). */
export const SEARCH_RETURN_N = 50;

export class Shop {
  readonly catalog: Catalog;
  readonly prices: Float64Array;
  readonly goals: Goal[];
  readonly nouns: NounSource;
  readonly dataDir: string;
  readonly built: BuildReport | null;

  private constructor(options: ShopOptions) {
    this.dataDir = resolve(options.dataDir);
    const { catalog, files, built } = openCatalog(this.dataDir, options.indexDir ? resolve(options.indexDir) : join(this.dataDir, 'rl-ggml-index'));
    this.catalog = catalog;
    this.built = built;
    const human = options.humanGoals === false || !files.human ? null : readHumanInstructions(files.human);
    const { prices, goals } = makeGoals(catalog, human, options.priceSeed ?? 0);
    this.prices = prices;
    this.goals = goals;
    const defaultNouns = join(this.dataDir, 'nouns.json');
    this.nouns = new NounSource(options.nounsFile ?? (existsSync(defaultNouns) ? defaultNouns : undefined));
  }

  private static readonly opened = new Map<string, Shop>();

  /** The shop of these options, loaded once per process. */
  static open(options: ShopOptions): Shop {
    const key = JSON.stringify([resolve(options.dataDir), options.indexDir, options.priceSeed ?? 0, options.humanGoals ?? true, options.nounsFile]);
    let shop = Shop.opened.get(key);
    if (!shop) {
      shop = new Shop(options);
      Shop.opened.set(key, shop);
    }
    return shop;
  }

  /** Document numbers of the BM25 top 50 for `keywords`. */
  search(keywords: string): number[] {
    return this.catalog.index.search(keywords, SEARCH_RETURN_N).map((h) => h.doc);
  }
}
