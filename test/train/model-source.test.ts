import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cacheDir, modelFingerprint, parseHfUri, resolveModel } from '../../src/train/model-source.js';

t.test('parseHfUri: user, repo and file path; anything else is not an hf: URI', async (t) => {
  t.same(parseHfUri('hf:TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_0.gguf'), { user: 'TheBloke', repo: 'Llama-2-7B-GGUF', file: 'llama-2-7b.Q4_0.gguf' });
  t.same(parseHfUri('hf:a/b/sub/dir/m.gguf'), { user: 'a', repo: 'b', file: 'sub/dir/m.gguf' });
  t.equal(parseHfUri('./models/m.gguf'), null);
  for (const bad of ['hf:a/b', 'hf:a/b/m.bin', 'hf:a/b/../m.gguf', 'hf:/b/m.gguf', 'hf:a b/c/m.gguf']) t.throws(() => parseHfUri(bad), /is not a model URI of the form hf:<user>\/<repo>\/<file>.gguf/, bad);
});

t.test('resolveModel: hf: URIs go to the resolver with the cache folder; its failure is a clear error', async (t) => {
  const calls: { uri: string; directory: string }[] = [];
  const resolver = async (uri: string, o: { directory: string }) => {
    calls.push({ uri, directory: o.directory });
    return join(o.directory, 'x.gguf');
  };
  const r = await resolveModel('hf:u/r/x.gguf', { cache: '/c', resolver });
  t.same(r, { path: '/c/models/x.gguf', generated: false });
  t.same(calls, [{ uri: 'hf:u/r/x.gguf', directory: '/c/models' }]);
  await t.rejects(resolveModel('hf:u/r/x.gguf', { cache: '/c', resolver: async () => { throw new Error('offline'); } }), /cannot resolve hf:u\/r\/x.gguf: offline/);
  await t.rejects(resolveModel('/no/such/model.gguf'), /model file not found: \/no\/such\/model.gguf/);
});

t.test('resolveModel: no model → a random-weights model generated once into the cache, with a plain notice', async (t) => {
  const cache = t.testdir();
  const first = await resolveModel(null, { cache });
  t.equal(first.generated, true);
  t.ok(existsSync(first.path));
  t.match(first.notice, /RANDOM weights/);
  t.match(first.notice, /--model .*llama-2-7b.Q4_0.gguf/);
  const mtime = statSync(first.path).mtimeMs;
  const second = await resolveModel(undefined, { cache });
  t.equal(second.path, first.path);
  t.equal(statSync(second.path).mtimeMs, mtime, 'made once');
  t.match(await modelFingerprint(first.path), /^\d+:[0-9a-f]{32}$/);
});

t.test('cacheDir: RL_GGML_CACHE, then XDG_CACHE_HOME, then ~/.cache', async (t) => {
  t.equal(cacheDir({ RL_GGML_CACHE: '/x' }), '/x');
  t.equal(cacheDir({ XDG_CACHE_HOME: '/y' }), '/y/rl-ggml');
  t.match(cacheDir({}), /\.cache\/rl-ggml$/);
});
