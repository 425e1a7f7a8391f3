/**
 * The token stream of pyserini's default English analyzer (Lucene StandardTokenizer → English possessive
 * filter → lowercase → Lucene's 33 English stopwords → Porter stemmer), used for WebShop's documents and
 * queries alike. ASCII words go through a scanner that implements UAX#29's word-break rules for ASCII; any
 * word holding other characters goes through Intl.Segmenter (ICU's UAX#29), with emoji, ®, ™ kept as tokens
 * and Han/Hiragana split one character per token, as Lucene does.
 */
import { stemmer } from 'stemmer';

/** Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(' '),
);

/** Lucene's StandardTokenizer cuts tokens longer than this. */
const MAX_TOKEN_LENGTH = 255;

// ASCII word-break classes of UAX#29.
const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;
const EXTEND_NUM_LET = 3; // "_"
const MID_NUM_LET = 4; // "." and "'" (Single_Quote behaves the same outside Hebrew)
const MID_LETTER = 5; // ":"
const MID_NUM = 6; // "," and ";"

const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z]/.test(ch)) CLASS[c] = LETTER;
  else if (/[0-9]/.test(ch)) CLASS[c] = DIGIT;
  else if (ch === '_') CLASS[c] = EXTEND_NUM_LET;
  else if (ch === '.' || ch === "'") CLASS[c] = MID_NUM_LET;
  else if (ch === ':') CLASS[c] = MID_LETTER;
  else if (ch === ',' || ch === ';') CLASS[c] = MID_NUM;
  else CLASS[c] = OTHER;
}

function isWordChar(k: number): boolean {
  return k === LETTER || k === DIGIT || k === EXTEND_NUM_LET;
}

/** Whether UAX#29 keeps `a` `b` together with a single middle character of class `mid` between them. */
function joinsAcross(a: number, mid: number, b: number): boolean {
  if (a === LETTER && b === LETTER) return mid === MID_LETTER || mid === MID_NUM_LET;
  if (a === DIGIT && b === DIGIT) return mid === MID_NUM || mid === MID_NUM_LET;
  return false;
}

/** Whether two adjacent word characters stay in one word (WB5, WB8-10, WB13a/b). */
function joinsAdjacent(a: number, b: number): boolean {
  return isWordChar(a) && isWordChar(b);
}

/** UAX#29 words of a pure-ASCII string, as emitted by StandardTokenizer (only words holding a letter or digit). */
function asciiWords(text: string, out: string[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const k = CLASS[text.charCodeAt(i)];
    if (!isWordChar(k)) {
      i++;
      continue;
    }
    const start = i;
    let hasAlnum = k !== EXTEND_NUM_LET;
    let prev = k;
    i++;
    while (i < n) {
      const c = CLASS[text.charCodeAt(i)];
      if (joinsAdjacent(prev, c)) {
        if (c !== EXTEND_NUM_LET) hasAlnum = true;
        prev = c;
        i++;
      } else if (i + 1 < n && joinsAcross(prev, c, CLASS[text.charCodeAt(i + 1)])) {
        prev = CLASS[text.charCodeAt(i + 1)];
        i += 2;
      } else break;
    }
    if (hasAlnum) pushCapped(text.slice(start, i), out);
  }
}

function pushCapped(word: string, out: string[]): void {
  if (word.length <= MAX_TOKEN_LENGTH) out.push(word);
  else for (let s = 0; s < word.length; s += MAX_TOKEN_LENGTH) out.push(word.slice(s, s + MAX_TOKEN_LENGTH));
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const SINGLE_CHAR_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}]/u;

/** StandardTokenizer's words of text holding non-ASCII characters, through ICU's word segmentation. */
function unicodeWords(text: string, out: string[]): void {
  for (const seg of segmenter.segment(text)) {
    const s = seg.segment;
    if (seg.isWordLike) {
      if (SINGLE_CHAR_SCRIPT.test(s)) {
        let run = '';
        for (const ch of s) {
          if (SINGLE_CHAR_SCRIPT.test(ch)) {
            if (run) pushCapped(run, out);
            run = '';
            out.push(ch);
          } else run += ch;
        }
        if (run) pushCapped(run, out);
      } else pushCapped(s, out);
    } else if (PICTOGRAPHIC.test(s)) out.push(s);
  }
}

/** StandardTokenizer words (before any filter) of `text`. */
export function standardTokens(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/[ \t\n\r\f\v]+/)) {
    if (chunk.length === 0) continue;
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(chunk)) asciiWords(chunk, out);
    else unicodeWords(chunk, out);
  }
  return out;
}

const stemCache = new Map<string, string>();

/** Porter stem, memoised (catalog vocabularies repeat words a great deal). */
function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = stemmer(word);
    if (stemCache.size > 1_000_000) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** EnglishPossessiveFilter: drops a trailing 's (', ’ or ＇). */
function dropPossessive(token: string): string {
  const n = token.length;
  if (n >= 2 && (token[n - 1] === 's' || token[n - 1] === 'S')) {
    const q = token[n - 2];
    if (q === "'" || q === '\u2019' || q === '\uff07') return token.slice(0, n - 2);
  }
  return token;
}

/** The indexed terms of `text`, in order: what Lucene's analyzer chain produces. */
export function analyze(text: string): string[] {
  const terms: string[] = [];
  for (const raw of standardTokens(text)) {
    const word = dropPossessive(raw).toLowerCase();
    if (word.length === 0 || STOPWORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}
