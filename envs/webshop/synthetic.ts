/**
 * Synthetic WebShop catalogs in the three real file formats (items_shuffle.json, items_ins_v2.json,
 * items_human_ins.json), plus a noun sidecar (nouns.json) and a manifest of what each product was made to test.
 * Each goal family has a target and distractors that each hit a known reward branch: an attribute short, wrong
 * options, over budget, type rewards 0.5 / 0.1 / 0 (via shared-noun counts), and near-duplicates that push the
 * target down the results. Raw records also carry the loader's edge cases: "/" and mixed-case options, null
 * option groups, single / ranged / "$1,299.00" / missing prices, malformed and duplicate asins, products absent
 * from items_ins_v2 or with empty attributes.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PyRandom } from './pyrandom.js';
import { normalizeColor, tokenSetRatio } from './reward.js';

interface Category {
  name: string;
  crumbs: string[];
  types: string[][];
}

const CATEGORIES: Category[] = [
  { name: 'beauty', crumbs: ['Beauty & Personal Care', 'Hair Care'], types: [['hair', 'extension'], ['shampoo', 'bottle'], ['hair', 'dryer']] },
  { name: 'grocery', crumbs: ['Grocery & Gourmet Food', 'Snack Foods'], types: [['snack', 'bar'], ['coffee', 'pod'], ['tea', 'bag']] },
  { name: 'fashion', crumbs: ['Clothing, Shoes & Jewelry', 'Women'], types: [['running', 'shoe'], ['dress'], ['rain', 'jacket']] },
  { name: 'electronics', crumbs: ['Electronics', 'Accessories & Supplies'], types: [['phone', 'case'], ['wall', 'charger'], ['headphone']] },
  { name: 'garden', crumbs: ['Home & Kitchen', 'Furniture'], types: [['sofa'], ['desk', 'chair'], ['floor', 'lamp']] },
  { name: 'kitchen', crumbs: ['Home & Kitchen', 'Kitchen & Dining'], types: [['frying', 'pan'], ['water', 'bottle'], ['cutting', 'board']] },
];

const NOUNS = (
  'clip comb brush kit set gift box pouch stand mat pad cloth towel jar cup lid tray rack hook ring band cord ' +
  'plug adapter strap holder sleeve handle wheel button zipper pocket belt scarf glove sock pillow blanket basket ' +
  'bucket spoon fork knife bowl plate mug kettle filter lens screen cover frame shelf drawer cabinet candle vase'
).split(' ');
const ADJECTIVES = 'soft premium lightweight durable classic modern compact elegant sturdy cozy sleek vintage'.split(' ');
const ATTRIBUTES = [
  'long lasting', 'natural ingredients', 'easy clean', 'gluten free', 'machine washable', 'non slip', 'fast charging',
  'water resistant', 'bpa free', 'travel size', 'sugar free', 'high quality', 'heavy duty', 'dairy free', 'quick drying',
  'anti fog', 'noise cancelling', 'stain resistant', 'cruelty free', 'dishwasher safe',
];
const COLORS = ['Light Blue', 'Navy/White', 'Charcoal Grey', 'Rose Gold', 'Olive Green', 'Burgundy', 'Ivory', 'Black'];
const SIZES = ['Small', 'Medium', 'Large', 'X-Large'];
const SYLLABLES = 'ka lo mi ra ve zu ton bel dar fen gri hal jor kel mor nix pra qua sil tev'.split(' ');

export interface ShopManifestFamily {
  /** The target asin (the goals of items_human_ins.json point at it). */
  target: string;
  /** Distractor asins by role. */
  distractors: Record<string, string>;
  /** Near-duplicates added to push the target down the results. */
  nearDuplicates: number;
}

export interface ShopManifest {
  families: ShopManifestFamily[];
  /** Raw records the loader must drop (asin "nan", too long, later duplicates). */
  dropped: number;
}

export interface MakeShopOptions {
  out: string;
  products: number;
  seed: number;
}

function title(s: string): string {
  return s.replace(/\b\w/g, (c) => c.toUpperCase());
}

/** Writes a synthetic catalog of about `products` products into `out`; returns its manifest. */
export function makeShop(options: MakeShopOptions): ShopManifest {
  const rng = new PyRandom(options.seed);
  const pick = <T>(xs: readonly T[]) => xs[rng.randbelow(xs.length)];
  mkdirSync(options.out, { recursive: true });
  // Products are streamed to disk: a million of them would not fit in one JSON string.
  const fd = openSync(join(options.out, 'items_shuffle.json'), 'w');
  let count = 0;
  let firstRaw: Record<string, unknown> | null = null;
  const emit = (raw: Record<string, unknown>) => {
    writeSync(fd, (count++ === 0 ? '[\n' : ',\n') + JSON.stringify(raw));
    firstRaw ??= raw;
  };
  const ins: Record<string, unknown> = {};
  const human: Record<string, unknown[]> = {};
  const nouns: Record<string, string[]> = {};
  const manifest: ShopManifest = { families: [], dropped: 0 };
  let serial = 0;
  const newAsin = () => `B0${(serial++).toString(36).toUpperCase().padStart(8, '0')}`;
  const brand = () => title(pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES));
  const price = (base: number) => {
    const r = rng.random();
    if (r < 0.6) return `$${base.toFixed(2)}`;
    if (r < 0.85) return `$${base.toFixed(2)} - $${(base * 1.5).toFixed(2)}`;
    if (r < 0.95) return `$${base >= 1000 ? base.toLocaleString('en-US', { minimumFractionDigits: 2 }) : (base + 1000).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
    return rng.random() < 0.5 ? '' : undefined;
  };

  /** One raw product; `extraNouns` (plus brand and type) make up its name's nouns. */
  const product = (p: {
    cat: Category;
    type: string[];
    brandName: string;
    extraNouns: string[];
    attrs: string[];
    described: string[];
    colors: string[];
    sizes: string[];
    pricing: string | undefined;
    insMode?: 'normal' | 'absent' | 'empty';
    synthetic?: boolean;
  }) => {
    const asin = newAsin();
    const typeText = p.type.join(' ');
    const name = `${p.brandName} ${pick(ADJECTIVES)} ${title(typeText)} with ${p.extraNouns.map(title).join(' ')}`;
    const raw: Record<string, unknown> = {
      asin,
      name,
      category: p.cat.name,
      query: `  ${title(typeText)}s `,
      product_category: [...p.cat.crumbs, title(typeText)].join(' › '),
      full_description: `This ${typeText} is made for everyday use. ${p.described.map((a) => `It is ${a}.`).join(' ')}`,
      small_description: rng.random() < 0.5 ? [`${title(typeText)} by ${p.brandName}`, `Includes ${p.extraNouns.slice(0, 2).join(' and ')}`] : `${title(typeText)} by ${p.brandName}`,
      customization_options: {
        Color: p.colors.map((value) => ({ value: ` ${value} `, image: null })),
        ...(p.sizes.length ? { SIZE: p.sizes.map((value) => ({ value, image: null })) } : {}),
        ...(rng.random() < 0.3 ? { Style: null } : {}),
      },
      images: [`https://example.invalid/${asin}.jpg`],
      brand: p.brandName,
      Reviews: [],
    };
    if (p.pricing !== undefined) raw.pricing = p.pricing;
    emit(raw);
    const mode = p.insMode ?? 'normal';
    if (mode !== 'absent') {
      const record: Record<string, unknown> = { attributes: mode === 'empty' ? [] : p.attrs };
      if (p.synthetic && mode === 'normal' && p.attrs.length) {
        record.instruction = `Find me ${typeText}s with ${p.attrs.join(', ')}`;
        record.instruction_attributes = p.attrs;
      }
      ins[asin] = record;
    }
    nouns[asin] = [p.brandName.toLowerCase(), ...p.type, ...p.extraNouns];
    return asin;
  };

  const variant = (a: string) => (a.endsWith('s') ? a.slice(0, -1) : `${a}s`);
  while (count < options.products) {
    const cat = pick(CATEGORIES);
    const type = pick(cat.types);
    const targetBrand = brand();
    // 11 nouns in the target name: brand, type words, and the rest from the pool.
    const extra = rng.sample(NOUNS, 11 - 1 - type.length);
    const [a1, a2, a3] = rng.sample(ATTRIBUTES, 3);
    const colors = rng.sample(COLORS, 4);
    const sizes = rng.sample(SIZES, 3);
    const base = 5 + rng.randbelow(300) + rng.randbelow(100) / 100;
    const common = { cat, type, colors, sizes };
    // Attribute a1 is matched through a fuzzy variant in Attributes, a2 verbatim in the description.
    const target = product({ ...common, brandName: targetBrand, extraNouns: extra, attrs: [variant(a1), a3], described: [a2], pricing: `$${base.toFixed(2)}`, synthetic: true });
    const distractors: Record<string, string> = {};
    distractors.attrShort = product({ ...common, brandName: targetBrand, extraNouns: extra, attrs: [a3], described: [a2], pricing: `$${base.toFixed(2)}` });
    const wanted = normalizeColor(colors[0].replaceAll('/', ' | ').toLowerCase());
    const wrongColors = COLORS.filter((c) => tokenSetRatio(normalizeColor(c.replaceAll('/', ' | ').toLowerCase()), wanted) <= 85).slice(0, 3);
    distractors.wrongOption = product({ ...common, colors: wrongColors, sizes: ['6 Inch', '8 Inch'], brandName: targetBrand, extraNouns: extra, attrs: [variant(a1)], described: [a2], pricing: `$${base.toFixed(2)}` });
    distractors.overBudget = product({ ...common, brandName: targetBrand, extraNouns: extra, attrs: [variant(a1)], described: [a2], pricing: `$${(base + 1000).toFixed(2)}` });
    const otherCat = CATEGORIES.filter((c) => c.crumbs[0] !== cat.crumbs[0]);
    const away = (shared: number) => {
      let other = brand();
      while (other === targetBrand) other = brand();
      const c = pick(otherCat);
      const t = pick(c.types.filter((tt) => !tt.some((w) => type.includes(w))));
      const pool = NOUNS.filter((n) => !extra.includes(n));
      const nounsOf = [...extra.slice(0, shared), ...rng.sample(pool, 4)];
      return product({ cat: c, type: t, colors, sizes, brandName: other, extraNouns: nounsOf, attrs: [], described: [], pricing: price(base), insMode: 'absent' });
    };
    distractors.typeHalf = away(2); // 2/11 shared nouns: title score 0.18 → r_type 0.5
    distractors.typeTenth = away(1); // 1/11: 0.09 → r_type 0.1
    distractors.typeZero = away(0); // none: r_type 0
    const nearDuplicates = pick([0, 0, 12, 25, 45, 60]);
    for (let i = 0; i < nearDuplicates && count < options.products; i++) {
      product({ ...common, brandName: brand(), extraNouns: rng.sample(NOUNS, 3), attrs: [a1, a2], described: [a1, a2, a1], pricing: price(base), insMode: rng.random() < 0.2 ? 'empty' : 'normal', synthetic: rng.random() < 0.3 });
    }
    const colorValue = colors[0].trim().replaceAll('/', ' | ').toLowerCase();
    const sizeValue = sizes[0].toLowerCase();
    const phrase = pick(['i need a', 'i am looking for a', 'find me a', "i'd like a"]);
    human[target] = [
      {
        instruction: `${phrase} ${title(type.join(' ')).toLowerCase()} that is ${a1} and ${a2}, in ${colorValue} color and ${sizeValue} size.`,
        instruction_attributes: [a1, a2],
        instruction_options: [colorValue, sizeValue],
        assignment_id: `A${serial}`,
      },
      { instruction: `any ${type.join(' ')} will do`, instruction_attributes: [], instruction_options: [], assignment_id: `B${serial}` },
    ];
    manifest.families.push({ target, distractors, nearDuplicates });
  }
  // The loader's edge cases: records it must drop.
  const first = firstRaw ?? { asin: 'B0EMPTY', name: 'Empty' };
  emit({ ...first, name: 'A later duplicate that must be ignored' });
  emit({ ...first, asin: 'nan' });
  emit({ ...first, asin: 'B0TOOLONGASIN' });
  writeSync(fd, '\n]\n');
  closeSync(fd);
  manifest.dropped = 3;
  writeFileSync(join(options.out, 'items_ins_v2.json'), JSON.stringify(ins));
  writeFileSync(join(options.out, 'items_human_ins.json'), JSON.stringify(human));
  writeFileSync(join(options.out, 'nouns.json'), JSON.stringify(nouns));
  writeFileSync(join(options.out, 'shop-manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}
