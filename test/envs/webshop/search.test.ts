import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../../../envs/webshop/analyzer.js';
import { IndexBuilder, SearchIndex, asinRanks, lengthToNorm, normToLength } from '../../../envs/webshop/search-index.js';
import { PROBES } from './lucene/make-inputs.js';
import { goalQuery } from '../../../envs/webshop/session.js';
import { Shop } from '../../../envs/webshop/shop.js';
import { syntheticCatalog } from './fixture.js';
import { tempDir } from '../../helpers/temp.js';

// Fixtures were produced by real Lucene 8.7 (test/envs/webshop/lucene/gen-fixtures.sh); they live in the source tree.
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/envs/webshop/lucene/fixtures');
const lines = (name: string) => readFileSync(join(fixtures, name), 'utf8').replace(/\n$/, '').split('\n');

t.test('analyzer token streams equal Lucene on the probe strings', async (t) => {
  const expected = lines('tokens.txt');
  PROBES.forEach((probe, i) => t.same(analyze(probe).join(' '), expected[i], probe));
});

t.test('one-byte length norms follow SmallFloat.intToByte4', async (t) => {
  t.equal(normToLength(lengthToNorm(23)), 23);
  t.equal(normToLength(lengthToNorm(24)), 24);
  t.equal(normToLength(lengthToNorm(100)), 96);
  t.equal(lengthToNorm(Number(0x7fffffff)), 255);
  let prev = -1;
  for (let n = 0; n < 256; n++) {
    const len = normToLength(n);
    t.ok(len > prev, 'length table strictly increases');
    prev = len;
    if (n < 255) t.equal(lengthToNorm(len), n, `round trip of ${n}`);
  }
});

t.test('BM25 rankings and scores equal Lucene top-50 on the fixture corpus', async (t) => {
  const docs = lines('docs.tsv').map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)] as [string, string]);
  const builder = new IndexBuilder();
  for (const [, text] of docs) builder.add(text);
  const index = builder.finish(asinRanks(docs.map(([id]) => id)));
  const dir = tempDir('ws-index-');
  index.save(dir);
  const loaded = SearchIndex.load(dir);
  const queries = lines('queries.txt');
  const rankings = lines('rankings.txt');
  let identical = 0;
  queries.forEach((q, i) => {
    const tokens = rankings[i] === '' ? [] : rankings[i].split(' ');
    const want: string[] = [];
    const wantScores: number[] = [];
    for (let j = 0; j < tokens.length; j += 2) {
      want.push(tokens[j]);
      wantScores.push(Math.fround(Number(tokens[j + 1])));
    }
    const hits = (i % 2 ? loaded : index).search(q, 50);
    const got = hits.map((h) => docs[h.doc][0]);
    if (got.join() === want.join() && hits.every((h, j) => h.score === wantScores[j])) identical++;
    else t.same({ q, got, scores: hits.map((h) => h.score) }, { q, got: want, scores: wantScores });
  });
  t.equal(identical, queries.length, 'every query: same documents, same order, bit-identical float scores');
});

t.test('pruned search equals exhaustive scoring on a large synthetic catalog', async (t) => {
  const { dir } = syntheticCatalog(3000, 21);
  const shop = Shop.open({ dataDir: dir });
  const index = shop.catalog.index;
  const queries = shop.goals.map(goalQuery);
  for (let i = 0; i < 40; i++) queries.push(shop.catalog.product(i * 7).Title, `size color ${shop.catalog.product(i).Title.split(' ')[0]}`);
  let compared = 0;
  for (const q of queries) {
    for (const k of [1, 10, 50]) {
      const all = index.search(q, index.size);
      const top = index.search(q, k);
      t.same(top, all.slice(0, k), `${q} (k=${k})`);
      compared++;
    }
  }
  t.ok(compared > 100);
});
