import type { Argv, CommandModule } from 'yargs';
import { Shop } from '../../../envs/webshop/shop.js';

export interface ShopSearchArgs {
  dataDir: string;
  query: string;
  k: number;
  json: boolean;
}

export interface ShopBuildArgs {
  dataDir: string;
  json: boolean;
}

/** `shop search`: what the agent's search action returns (asins and BM25 scores). */
export function runShopSearch(argv: ShopSearchArgs): void {
  const shop = Shop.open({ dataDir: argv.dataDir });
  const hits = shop.catalog.index.search(argv.query.toLowerCase(), argv.k).map((h, i) => {
    const p = shop.catalog.product(h.doc);
    return { rank: i + 1, asin: p.asin, score: h.score, title: p.Title, price: p.Price };
  });
  if (argv.json) console.log(JSON.stringify({ query: argv.query, total: hits.length, hits }));
  else for (const h of hits) console.log(`${String(h.rank).padStart(2)}  ${h.asin}  ${h.score.toFixed(4)}  ${h.title}`);
}

/** `shop build`: builds (or confirms) the on-disk index of a data folder. */
export function runShopBuild(argv: ShopBuildArgs): void {
  const shop = Shop.open({ dataDir: argv.dataDir });
  const summary = { products: shop.catalog.size, goals: shop.goals.length, built: shop.built };
  console.log(argv.json ? JSON.stringify(summary) : `${summary.products} products, ${summary.goals} goals${shop.built ? `, index built in ${shop.built.seconds}s` : ' (index up to date)'}`);
}

/** `rl-ggml shop <search|build>`: WebShop catalog utilities. */
export const shopCommand: CommandModule = {
  command: 'shop <command>',
  describe: 'WebShop catalog utilities (search, build)',
  builder: (y: Argv) =>
    y
      .command<ShopSearchArgs>({
        command: 'search',
        describe: "Show the search action's results for a query (top 50 asins with BM25 scores)",
        builder: (yy) =>
          yy
            .option('data-dir', { type: 'string', demandOption: true, describe: 'WebShop data folder' })
            .option('query', { type: 'string', demandOption: true, describe: 'search keywords' })
            .option('k', { type: 'number', default: 50, describe: 'number of results' })
            .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<ShopSearchArgs>,
        handler: (argv) => runShopSearch(argv),
      })
      .command<ShopBuildArgs>({
        command: 'build',
        describe: 'Build the on-disk index of a data folder (done automatically on first use)',
        builder: (yy) =>
          yy
            .option('data-dir', { type: 'string', demandOption: true, describe: 'WebShop data folder' })
            .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<ShopBuildArgs>,
        handler: (argv) => runShopBuild(argv),
      })
      .demandCommand(1),
  handler: () => {},
};
