import { RlGgmlError } from '../../errors.js';
import type { PlayArgs } from './args.js';

export async function playIndexed(_argv: PlayArgs): Promise<void> {
  throw new RlGgmlError('NOT_IMPLEMENTED', 'play: this environment family is not implemented yet');
}
