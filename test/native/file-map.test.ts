// A model file truncated while a backward pass reads its weights (dx = Wᵀ·dy maps them from the file) must end in a
// typed error, not a SIGBUS that kills Node: checked with the addon's compiled file_map.cpp on real truncated files.
import t from 'tap';
import { existsSync, mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/native.js';
import { tempPath } from '../helpers/models.js';
import { buildAndRun } from '../helpers/native-program.js';

const fileMap = join(packageRoot, 'build', 'CMakeFiles', 'rl_ggml.dir', 'native', 'file_map.cpp.o');

t.test('pages past the end of a shrunk model file read as zeros and flag the map; other SIGBUS still kills', { skip: existsSync(fileMap) ? false : `${fileMap} is missing` }, async (t) => {
  const scratch = tempPath('file-map-files');
  mkdirSync(scratch, { recursive: true });
  const compile = ['-std=c++17', join(packageRoot, 'test', 'native', 'file-map.cpp'), `-I${join(packageRoot, 'native')}`];
  const rows = buildAndRun(t, 'file-map', { compiler: 'g++', compile, link: [fileMap], separator: '\t', args: [scratch] });
  const cases = Object.fromEntries(rows.map(([name, value]) => [name, value]));
  const page = Number(cases['intact-sums'].split(' ')[0]);
  t.same(cases['intact-sums'], `${page} ${2 * page} ${3 * page}`, 'an intact file reads as written');
  t.equal(cases['intact-faulted'], '0');
  t.equal(cases['shrunk-sums'], `${page} 0 0`, 'the page still in the file is intact; the two past its end read as zeros');
  t.equal(cases['shrunk-faulted'], '1', 'and the map knows');
  t.equal(cases['foreign-while-mapped'], `signal ${constants.signals.SIGBUS}`, 'a fault in a mapping of its own still ends the process');
  t.equal(cases['foreign-faulted'], '0', 'without flagging the live map');
  t.equal(cases['filemap-in-child'], 'exit 0');
});
