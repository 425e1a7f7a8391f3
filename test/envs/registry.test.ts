import t from 'tap';
import { envSpecs, getEnvSpec } from '../../envs/registry.js';
import { EnvError } from '../../src/errors.js';

t.test('unknown env ids get an error that lists the known ones', async (t) => {
  t.throws(() => getEnvSpec('nope/none'), EnvError);
  try {
    getEnvSpec('nope/none');
  } catch (err) {
    for (const spec of envSpecs) t.match((err as Error).message, spec.id);
  }
});

t.test('env ids are unique', async (t) => {
  t.equal(new Set(envSpecs.map((s) => s.id)).size, envSpecs.length);
});
