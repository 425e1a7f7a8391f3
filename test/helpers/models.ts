/** Generated models shared by tests: written once per test process into a temp folder. */
import { makeModel, type MakeModelOptions } from '../../src/make-model.js';
import { tempPath } from './temp.js';

export { tempPath };
const made = new Map<string, Promise<string>>();

/** Path of a generated model with these options (made on first use). */
export function testModel(options: Omit<MakeModelOptions, 'out'> = {}): Promise<string> {
  const key = JSON.stringify(options);
  let p = made.get(key);
  if (!p) {
    const out = tempPath(`model-${made.size}.gguf`);
    p = makeModel({ ...options, out }).then(() => out);
    made.set(key, p);
  }
  return p;
}
