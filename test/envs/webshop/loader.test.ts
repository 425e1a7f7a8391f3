import t from 'tap';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildShopIndex, Catalog, indexIsCurrent, openCatalog, resolveShopFiles } from '../../../envs/webshop/catalog.js';
import { forEachArrayElement, forEachObjectEntry } from '../../../envs/webshop/json-stream.js';
import { normalizeOptions, parsePricing, searchText } from '../../../envs/webshop/product.js';
import { handCatalog, TEA } from './fixture.js';
import { tempDir } from '../../helpers/temp.js';

t.test('pricing: "$" pieces, digits and dots only, Python float text', async (t) => {
  t.same(parsePricing('$19.99'), { pricing: [19.99], label: '$19.99' });
  t.same(parsePricing('$10.00 - $20.00'), { pricing: [10, 20], label: '$10.0 to $20.0' });
  t.same(parsePricing('$1,299.00'), { pricing: [1299], label: '$1299.0' });
  t.same(parsePricing('$5 $6 $7'), { pricing: [5, 6], label: '$5.0 to $6.0' });
  t.same(parsePricing(''), { pricing: [100], label: '$100.0' });
  t.same(parsePricing(undefined), { pricing: [100], label: '$100.0' });
  t.same(parsePricing('19.99'), { pricing: [100], label: '$100.0' }, 'no "$" piece: no number');
});

t.test('options: names lowercased, values stripped, "/" → " | ", null groups dropped', async (t) => {
  t.same(normalizeOptions({ Color: [{ value: ' Navy/White ' }, { value: 'RED' }], Style: null, SIZE: [{ value: 'X-Large' }] }), [
    ['color', ['navy | white', 'red']],
    ['size', ['x-large']],
  ]);
  t.same(normalizeOptions(null), []);
  t.same(normalizeOptions({ Color: [{ value: 'a' }], color: [{ value: 'b' }] }), [['color', ['b']]], 'a later group of the same lowercased name replaces the earlier');
});

t.test('JSON streaming: arrays and objects member by member, across chunk edges, with errors named', async (t) => {
  const dir = tempDir('ws-json-');
  const big = 'é'.repeat(3_000_000); // multi-byte text across the 4 MiB read chunks
  writeFileSync(join(dir, 'a.json'), `\ufeff [ {"s": "x,]}\\"[{"}, [1, 2], "${big}", 3 ] `);
  const got: unknown[] = [];
  forEachArrayElement(join(dir, 'a.json'), (v) => got.push(v));
  t.same(got.length, 4);
  t.same(got[0], { s: 'x,]}"[{' });
  t.equal((got[2] as string).length, big.length);
  writeFileSync(join(dir, 'o.json'), '{"k\\"1": {"a": [1]}, "k2" : []}');
  const entries: [string, string][] = [];
  forEachObjectEntry(join(dir, 'o.json'), (k, v) => entries.push([k, v]));
  t.same(entries, [['k"1', '{"a": [1]}'], ['k2', '[]']]);
  writeFileSync(join(dir, 'bad.json'), '[1, 2');
  t.throws(() => forEachArrayElement(join(dir, 'bad.json'), () => {}), { code: 'BAD_JSON' });
  t.throws(() => forEachArrayElement(join(dir, 'o.json'), () => {}), { code: 'BAD_JSON' });
  t.throws(() => forEachObjectEntry(join(dir, 'a.json'), () => {}), { code: 'BAD_JSON' });
  writeFileSync(join(dir, 'num.json'), '42');
  t.throws(() => forEachArrayElement(join(dir, 'num.json'), () => {}), { code: 'BAD_JSON' });
  writeFileSync(join(dir, 'trail.json'), '[1] x');
  t.throws(() => forEachArrayElement(join(dir, 'trail.json'), () => {}), { code: 'BAD_JSON' });
  writeFileSync(join(dir, 'empty.json'), '[ ]');
  const none: unknown[] = [];
  forEachArrayElement(join(dir, 'empty.json'), (v) => none.push(v));
  t.same(none, []);
});

t.test('load_products: filtering, normalisation, ins_v2 join, index reuse and rebuild', async (t) => {
  const dir = handCatalog();
  t.throws(() => resolveShopFiles(tmpdir() + '/no-such-webshop-dir'), { code: 'NO_WEBSHOP_DATA' });
  const files = resolveShopFiles(dir);
  t.match(files.products, /items_shuffle_1000\.json$/);
  const { catalog, built } = openCatalog(dir);
  t.ok(built, 'first open builds the index');
  t.equal(built!.skipped, 3, 'duplicate, "nan" and over-long asins dropped');
  t.equal(catalog.size, 34);
  const tea = catalog.product(catalog.docOf(TEA)!);
  t.equal(tea.Title, 'Acme Organic Tea Bag Set', 'the first of duplicate asins is kept');
  t.equal(tea.query, 'tea bags');
  t.equal(tea.Price, '$10.0 to $20.0');
  t.same(tea.options, [['color', ['light blue', 'navy | white', 'red']], ['pattern', ['red', 'striped']]]);
  t.same(tea.Attributes, ['organic tea', 'caffeine free']);
  t.equal(tea.instruction_text, 'Find me tea');
  t.same(catalog.product(catalog.docOf('B000TEST02')!).Attributes, ['DUMMY_ATTR'], 'absent from ins_v2');
  t.same(catalog.product(catalog.docOf('B000TEST02')!).BulletPoints, ['Single bullet']);
  t.same(catalog.product(catalog.docOf('B000TEST03')!).Attributes, []);
  t.equal(catalog.product(catalog.docOf('B000TEST03')!).Price, '$100.0');
  t.equal(catalog.docOf('nan'), undefined);
  t.equal(searchText(tea), 'acme organic tea bag set     bullet one color: light blue, navy | white, red, and pattern: red, striped');
  t.same(Array.from(catalog.ranges.slice(0, 2)), [10, 20]);
  t.ok(Number.isNaN(catalog.ranges[3]), 'single prices have no upper end');
  catalog.close();
  t.ok(indexIsCurrent(files, join(dir, 'rl-ggml-index')));
  t.equal(openCatalog(dir).built, null, 'second open reuses the index');
  const later = new Date(statSync(files.products).mtimeMs + 5000);
  utimesSync(files.products, later, later);
  t.notOk(indexIsCurrent(files, join(dir, 'rl-ggml-index')), 'a changed source makes the index stale');
  const report = buildShopIndex(files, join(dir, 'rl-ggml-index'));
  t.equal(report.products, 34);
  const reopened = new Catalog(join(dir, 'rl-ggml-index'));
  t.equal(reopened.index.search('tea', 50).length, 32, 'every product with "tea" matches');
  reopened.close();
});
