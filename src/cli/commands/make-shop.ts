import type { Argv, CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../errors.js';
import { makeShop } from '../../../envs/webshop/synthetic.js';

export interface MakeShopArgs {
  out: string;
  products: number;
  seed: number;
  json: boolean;
}

/** Writes a synthetic WebShop catalog; the handler behind `rl-ggml make-shop`. */
export function runMakeShop(argv: MakeShopArgs): void {
  if (!Number.isInteger(argv.products) || argv.products < 1) {
    throw new InvalidArgumentError('BAD_PRODUCTS', `make-shop: --products must be a positive integer, got ${argv.products}`);
  }
  const manifest = makeShop({ out: argv.out, products: argv.products, seed: argv.seed });
  const summary = { out: argv.out, families: manifest.families.length, goals: manifest.families.length };
  console.log(argv.json ? JSON.stringify(summary) : `wrote a synthetic WebShop catalog to ${argv.out} (${summary.families} goal families)`);
}

/** `rl-ggml make-shop --out DIR --products N --seed S`: a synthetic catalog in WebShop's three file formats. */
export const makeShopCommand: CommandModule<object, MakeShopArgs> = {
  command: 'make-shop',
  describe: "Write a synthetic WebShop catalog (items_shuffle.json, items_ins_v2.json, items_human_ins.json, nouns.json)",
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('products', { type: 'number', default: 1000, describe: 'number of products' })
      .option('seed', { type: 'number', default: 0, describe: 'generator seed' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON summary' }) as unknown as Argv<MakeShopArgs>,
  handler: (argv) => runMakeShop(argv),
};
