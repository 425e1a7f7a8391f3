/**
 * WebShop's text-mode pages: the segments BeautifulSoup would extract from each rendered page (joined with
 * " [SEP] ") and the clickables of each page, built directly from the page state.
 */
import type { Product } from './product.js';

export type PageKind = 'search' | 'results' | 'item' | 'description' | 'features' | 'reviews' | 'done';

export const RESULTS_PER_PAGE = 10;

/** What a page shows; `results` are document numbers. */
export interface PageState {
  kind: PageKind;
  instruction: string;
  results: number[];
  /** 1-based results page. */
  page: number;
  /** Document number of the open item, or -1. */
  item: number;
  /** Chosen options in click order (group → value). */
  options: [string, string][];
  reward: number;
}

/**
 * The segment of one text field, by bs4's rules: "" gives no node; whitespace with a newline is dropped; other
 * whitespace strips to an empty segment; anything else is stripped.
 */
function field(text: string, out: string[]): void {
  if (text === '') return;
  const stripped = text.trim();
  if (stripped === '' && text.includes('\n')) return;
  out.push(stripped);
}

function header(state: PageState, out: string[]): void {
  out.push('Instruction:');
  field(state.instruction, out);
  out.push('Back to Search');
}

/** The observation text of a page. */
export function renderPage(state: PageState, product: (doc: number) => Product): string {
  const out: string[] = [];
  switch (state.kind) {
    case 'search':
      out.push('WebShop', 'Instruction:');
      field(state.instruction, out);
      out.push('Search');
      break;
    case 'results': {
      header(state, out);
      out.push(`Page ${state.page} (Total results: ${state.results.length})`);
      if (state.page > 1) out.push('< Prev');
      out.push('Next >');
      for (const doc of pageItems(state)) {
        const p = product(doc);
        field(p.asin, out);
        field(p.Title, out);
        field(p.Price, out);
      }
      break;
    }
    case 'item': {
      const p = product(state.item);
      header(state, out);
      out.push('< Prev');
      for (const [name, values] of p.options) {
        field(name, out);
        for (const v of values) field(v, out);
      }
      field(p.Title, out);
      out.push(`Price: ${p.Price}`, 'Rating: N.A.', 'Description', 'Features', 'Reviews', 'Buy Now');
      break;
    }
    case 'description':
    case 'features':
    case 'reviews': {
      const p = product(state.item);
      header(state, out);
      out.push('< Prev');
      if (state.kind === 'description') field(p.Description, out);
      else if (state.kind === 'features') for (const b of p.BulletPoints) field(b, out);
      break;
    }
    case 'done':
      out.push('Thank you for shopping with us!', 'Your score (min 0.0, max 1.0)', String(state.reward));
      break;
  }
  return out.join(' [SEP] ');
}

/** The documents shown on the current results page. */
export function pageItems(state: PageState): number[] {
  return state.results.slice((state.page - 1) * RESULTS_PER_PAGE, state.page * RESULTS_PER_PAGE);
}

/** A clickable: its lowercased key and what clicking it does. */
export type Clickable =
  | { key: string; kind: 'button'; button: 'back to search' | '< prev' | 'next >' | 'description' | 'features' | 'reviews' | 'buy now' }
  | { key: string; kind: 'asin'; doc: number }
  | { key: string; kind: 'option'; group: string; value: string };

/** The clickables of a page by key, in page order (buttons, then product links, then options; later keys win). */
export function clickables(state: PageState, product: (doc: number) => Product): Map<string, Clickable> {
  const map = new Map<string, Clickable>();
  const button = (b: Extract<Clickable, { kind: 'button' }>['button']) => map.set(b, { key: b, kind: 'button', button: b });
  switch (state.kind) {
    case 'results':
      button('back to search');
      if (state.page > 1) button('< prev');
      button('next >');
      for (const doc of pageItems(state)) {
        const key = product(doc).asin.toLowerCase();
        map.set(key, { key, kind: 'asin', doc });
      }
      break;
    case 'item':
      button('back to search');
      button('< prev');
      button('description');
      button('features');
      button('reviews');
      button('buy now');
      for (const [group, values] of product(state.item).options) for (const value of values) map.set(value, { key: value, kind: 'option', group, value });
      break;
    case 'description':
    case 'features':
    case 'reviews':
      button('back to search');
      button('< prev');
      break;
    default:
      break;
  }
  return map;
}
