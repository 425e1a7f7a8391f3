/** WebShop's product record and `load_products`' normalisation of one raw catalog entry. */
import { pyFloat } from './pyformat.js';

/** What the pages, search and reward read of a product (field names as in WebShop). */
export interface Product {
  asin: string;
  /** Raw `name` (the reward's noun source). */
  name: string;
  category: string;
  /** Scrape query, lowercased and stripped. */
  query: string;
  product_category: string;
  Title: string;
  Description: string;
  BulletPoints: string[];
  /** Price label as shown ("$19.99", "$10.0 to $20.0", "$100.0"). */
  Price: string;
  /** One price, or the first two of a range. */
  pricing: number[];
  /** Option groups in file order: [lowercased name, normalised values]. */
  options: [string, string[]][];
  /** From items_ins_v2 (["DUMMY_ATTR"] when absent there). */
  Attributes: string[];
  /** items_ins_v2's synthetic instruction, if any (synthetic goals). */
  instruction_text: string | null;
  instruction_attributes: string[] | null;
}

/** An items_ins_v2 record. */
export interface InsRecord {
  attributes?: string[];
  instruction?: string | null;
  instruction_attributes?: string[] | null;
}

/** Whether `load_products` keeps this asin at all (duplicates aside). */
export function validAsin(asin: unknown): asin is string {
  return typeof asin === 'string' && asin !== 'nan' && asin.length <= 10;
}

/** `load_products`' price parsing: every "$" piece keeps only digits and "."; none gives $100.0. */
export function parsePricing(raw: unknown): { pricing: number[]; label: string } {
  const numbers: number[] = [];
  if (typeof raw === 'string' && raw.length > 0) {
    for (const piece of raw.split('$').slice(1)) {
      const digits = piece.replace(/[^\d.]/g, '');
      const value = digits === '' ? NaN : Number(digits);
      if (Number.isFinite(value)) numbers.push(value);
    }
  }
  if (numbers.length === 0) return { pricing: [100], label: '$100.0' };
  if (numbers.length === 1) return { pricing: numbers, label: `$${pyFloat(numbers[0])}` };
  return { pricing: numbers.slice(0, 2), label: `$${pyFloat(numbers[0])} to $${pyFloat(numbers[1])}` };
}

/** Option names lowercased; values stripped, "/" → " | ", lowercased; null groups dropped; later duplicates replace. */
export function normalizeOptions(raw: unknown): [string, string[]][] {
  const groups = new Map<string, string[]>();
  if (raw && typeof raw === 'object') {
    for (const [name, contents] of Object.entries(raw as Record<string, unknown>)) {
      if (!Array.isArray(contents)) continue;
      const values = contents.map((c) => String((c as { value?: unknown })?.value ?? '').trim().replaceAll('/', ' | ').toLowerCase());
      groups.set(name.toLowerCase(), values);
    }
  }
  return [...groups];
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

/** The normalised product of a raw catalog record and its items_ins_v2 entry. */
export function normalizeProduct(raw: Record<string, unknown>, ins: InsRecord | undefined): Product {
  const { pricing, label } = parsePricing(raw.pricing);
  const small = raw.small_description;
  return {
    asin: raw.asin as string,
    name: text(raw.name),
    category: text(raw.category),
    query: text(raw.query).toLowerCase().trim(),
    product_category: text(raw.product_category),
    Title: text(raw.name),
    Description: text(raw.full_description),
    BulletPoints: Array.isArray(small) ? small.map(text) : [text(small)],
    Price: label,
    pricing,
    options: normalizeOptions(raw.customization_options),
    Attributes: ins ? (ins.attributes ?? []) : ['DUMMY_ATTR'],
    instruction_text: ins?.instruction ?? null,
    instruction_attributes: ins?.instruction_attributes ?? null,
  };
}

/** The text pyserini indexes for a product: lower(Title Description BulletPoints[0] "name: a, b, and name: c"). */
export function searchText(p: Product): string {
  const optionText = p.options.map(([name, values]) => `${name}: ${values.join(', ')}`).join(', and ');
  return [p.Title, p.Description, p.BulletPoints[0] ?? '', optionText].join(' ').toLowerCase();
}
