/**
 * Writes the inputs of the Lucene reference fixtures (see gen-fixtures.sh): analyzer probe strings, a corpus of
 * short and long product-like documents with many exact duplicates (to exercise score ties), and queries.
 * Deterministic, so the committed fixtures can be regenerated.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PyRandom } from '../../../../envs/webshop/pyrandom.js';

export const PROBES = [
  "l'eau d'issey 3.5oz usb-c $19.99 men's women’s kids' a.b.c a..b",
  'color:red size:xl, 1,299.00 12;34 a.1 1.a 1_a _a a_ __ foo_bar',
  'The quick brown fox is running into THE fields, and it was great!',
  'caffè crème brûlée naïve façade Zürich São Paulo',
  '中文字符 日本語のテキスト カタカナ 한국어 텍스트',
  '®™ 👍🏽 ❤️ 🎉🎉 ©2020 x²',
  'wi-fi e-mail t-shirt 4k-uhd 10x20 10x 2.5" 7\' 100% #1 @home',
  'running runs ran runner easily happiness relational conditional generalizations',
  '  leading and trailing   spaces\tand\ttabs  ',
  "it's o'clock rock'n'roll don't 'quoted' ''",
];

const WORDS = (
  'shirt shirts dress dresses shoe shoes running sneaker boot boots hair extension extensions clip natural ' +
  'long short blue red green black white grey gray pink navy large small medium pack packs bottle oz fl ' +
  'organic vegan gluten free sugar tea coffee chocolate snack snacks bar bars cotton polyester leather ' +
  'waterproof wireless bluetooth charger cable usb phone case cover laptop stand desk chair sofa couch ' +
  'women men kids baby toddler girls boys travel portable easy clean machine wash hand light weight ' +
  'the a and with for of in to is it this that high quality perfect gift size color'
).split(' ');

function pick(rng: PyRandom): string {
  // Zipf-like: earlier words are much more frequent.
  const r = rng.random();
  return WORDS[Math.floor(WORDS.length * r * r)];
}

function words(rng: PyRandom, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.random() < 0.03 ? `${1 + rng.randbelow(99)}.${rng.randbelow(10)}oz` : pick(rng));
  return out.join(' ');
}

export function makeCorpus(): { docs: [string, string][]; queries: string[] } {
  const rng = new PyRandom(7);
  const docs: [string, string][] = [];
  const texts: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const long = rng.random() < 0.4;
    const dup = texts.length > 0 && rng.random() < 0.15;
    const text = dup ? texts[rng.randbelow(texts.length)] : words(rng, long ? 40 + rng.randbelow(360) : 3 + rng.randbelow(20));
    texts.push(text);
    // Ids not in insertion order, so the asin tie-break is really tested.
    docs.push([`B0${(rng.randbelow(1e8) + 1e8).toString(36).toUpperCase()}${i}`, text]);
  }
  PROBES.forEach((p, i) => docs.push([`P${i}`, p]));
  const queries: string[] = [];
  for (let i = 0; i < 300; i++) queries.push(words(rng, 1 + rng.randbelow(i % 3 === 0 ? 25 : 8)));
  queries.push('the and of', 'running running shoes', "men's blue shirt", 'usb-c 3.5oz');
  return { docs, queries };
}

if (process.argv[2]) {
  const out = process.argv[2];
  mkdirSync(out, { recursive: true });
  const { docs, queries } = makeCorpus();
  writeFileSync(join(out, 'texts.txt'), PROBES.join('\n') + '\n');
  writeFileSync(join(out, 'docs.tsv'), docs.map(([id, t]) => `${id}\t${t}`).join('\n') + '\n');
  writeFileSync(join(out, 'queries.txt'), queries.join('\n') + '\n');
}
