/**
 * Book shard worker entry: runs the book descriptor (actor/index.ts) in a worker thread. A book
 * shard needs nothing from the outside world, so its environment is empty.
 */
import { runActor } from '@kmm/shared';
import { bookActor } from '../actor/index.js';

runActor(bookActor, () => null);
