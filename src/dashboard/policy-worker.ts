// The controller's probabilities worked out in a worker thread: restoring the LSTM loads tfjs and
// compiles the controller (seconds, the first time), which would stall the dashboard's event loop and
// with it every page's updates. Started by policy.ts with the run directory and the space's settings.
import { parentPort, workerData } from 'node:worker_threads';
import { controllerRows } from '../report/controller-view.js';
import { nasBench201Space } from '../spaces/nas-bench-201/space.js';
import { nasnetSpace } from '../spaces/nasnet/space.js';
import type { SearchSpace } from '../spaces/types.js';

interface Request {
  id: number;
  dir: string;
  space: { id: string; blocks?: number; hierarchical?: boolean };
}

parentPort!.on('message', async (req: Request) => {
  try {
    const space = (
      req.space.id === 'nas-bench-201' ? nasBench201Space : nasnetSpace({ blocks: req.space.blocks ?? 5, hierarchical: req.space.hierarchical ?? false })
    ) as SearchSpace;
    parentPort!.postMessage({ id: req.id, rows: await controllerRows(req.dir, space) });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});
void workerData;
