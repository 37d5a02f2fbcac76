/** Worker thread of the fleet pool (fleet.ts): builds one pair report per task it is sent. */
import { parentPort } from 'node:worker_threads';
import { SmartDeltaError } from '../errors.js';
import { buildPairReport } from './build.js';
import type { FleetAnswer, FleetTask } from './fleet.js';

parentPort!.on('message', (task: FleetTask) => {
  buildPairReport(task.old, task.new, task.options).then(
    (report) => parentPort!.postMessage({ index: task.index, report } satisfies FleetAnswer),
    (err: unknown) => {
      const error = err instanceof Error ? { message: err.message, name: err.name } : { message: String(err), name: 'Error' };
      const exitCode = err instanceof SmartDeltaError ? { exitCode: err.exitCode } : {};
      parentPort!.postMessage({ index: task.index, error: { ...error, ...exitCode } } satisfies FleetAnswer);
    },
  );
});
