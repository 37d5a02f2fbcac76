/** Worker thread of the fleet pool (fleet.ts): builds the pair reports it claims. */
import { parentPort } from 'node:worker_threads';
import { serveTasks } from '../parallel/pool.js';
import { buildFleetEntry } from './fleet.js';

serveTasks(parentPort!, buildFleetEntry);
