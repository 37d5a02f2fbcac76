/** Worker thread of the fleet pool (./fleet.ts): builds the patches it claims. */
import { parentPort } from 'node:worker_threads';
import { serveTasks } from '../parallel/pool.js';
import { buildFleetPatch } from './fleet.js';

serveTasks(parentPort!, buildFleetPatch);
