/** Test catalogs: a small hand-written one (exact page texts) and generated synthetic ones (reward branches). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeShop, type ShopManifest } from '../../../envs/webshop/synthetic.js';
import { tempDir } from '../../helpers/temp.js';

export const TEA = 'B000TEST01';

/** A catalog with the loader's and renderer's edge cases, plus 30 tea fillers for pagination. */
export function handCatalog(): string {
  const dir = tempDir('ws-hand-');
  const products: Record<string, unknown>[] = [
    {
      asin: TEA,
      name: 'Acme Organic Tea Bag Set',
      category: 'grocery',
      query: ' Tea Bags ',
      product_category: 'Grocery › Beverages › Tea',
      full_description: '   ',
      small_description: ['Bullet one', '\n  ', '', '  Bullet four '],
      pricing: '$10.00 - $20.00',
      customization_options: {
        Color: [{ value: ' Light Blue ', image: null }, { value: 'Navy/White', image: null }, { value: 'Red', image: null }],
        Pattern: [{ value: 'RED', image: null }, { value: 'Striped', image: null }],
        Style: null,
      },
      brand: 'Acme',
    },
    { asin: 'B000TEST02', name: 'Big Tea Kettle', category: 'kitchen', query: 'kettles', product_category: 'Home › Kitchen › Kettles', full_description: '', small_description: 'Single bullet', pricing: '$1,299.00', customization_options: null },
    { asin: 'B000TEST03', name: 'Plain Mug', category: 'kitchen', query: 'mugs', product_category: 'Home › Kitchen › Mugs', full_description: '\n  \n', small_description: [], customization_options: {} },
    {
      asin: 'B000ICL001',
      name: "L'eau D'issey Eau De Toilette Spray for Women",
      category: 'beauty',
      query: 'perfume',
      product_category: 'Beauty › Fragrance',
      full_description: 'A fresh floral scent.',
      small_description: ['Floral'],
      pricing: '$64.98',
      customization_options: { Size: [{ value: '2.5 Fl Oz' }, { value: '6.76 fl oz (Pack of 1)' }] },
    },
    { asin: TEA, name: 'Duplicate that must be ignored', category: 'x', query: 'x', product_category: 'x', full_description: 'x', small_description: 'x', pricing: '$1' },
    { asin: 'nan', name: 'nan asin', category: 'x', query: 'x', product_category: 'x', full_description: 'tea', small_description: 'x' },
    { asin: 'B000TOOLONG1', name: 'too long asin', category: 'x', query: 'x', product_category: 'x', full_description: 'tea', small_description: 'x' },
  ];
  for (let i = 0; i < 30; i++) {
    products.push({ asin: `B100${String(i).padStart(6, '0')}`, name: `Filler Tea ${i}`, category: 'grocery', query: 'tea', product_category: 'Grocery › Tea', full_description: `tea number ${i}`, small_description: ['tea'], pricing: `$${i + 1}.50` });
  }
  writeFileSync(join(dir, 'items_shuffle_1000.json'), JSON.stringify(products, null, 2));
  writeFileSync(join(dir, 'items_ins_v2_1000.json'), JSON.stringify({ [TEA]: { attributes: ['organic tea', 'caffeine free'], instruction: 'Find me tea', instruction_attributes: ['organic'] }, B000TEST03: { attributes: [] } }));
  writeFileSync(
    join(dir, 'items_human_ins.json'),
    JSON.stringify({
      [TEA]: [
        { instruction: '..i want organic tea bags in light blue.', instruction_attributes: ['organic', 'caffeine free'], instruction_options: ['light blue'] },
        { instruction: 'no attributes here', instruction_attributes: [], instruction_options: [] },
      ],
      B000TEST02: [{ instruction: 'a big kettle', instruction_attributes: ['kettle'], instruction_options: [] }],
      B999MISSING: [{ instruction: 'not in the catalog', instruction_attributes: ['x'], instruction_options: [] }],
    }),
  );
  writeFileSync(join(dir, 'nouns.json'), JSON.stringify({ [TEA]: ['acme', 'tea', 'bag', 'set'], B000TEST02: ['tea', 'kettle'], B000TEST03: ['mug'] }));
  return dir;
}

/** A generated synthetic catalog and its manifest. */
export function syntheticCatalog(products = 500, seed = 3): { dir: string; manifest: ShopManifest } {
  const dir = tempDir('ws-syn-');
  return { dir, manifest: makeShop({ out: dir, products, seed }) };
}
