// What a trainer process (trainer.ts) and the process that started it (trainer-process.ts: a local
// pool of a parallel search, or a queue worker) say to each other over Node's IPC channel, with
// 'advanced' serialization so a saved child state travels as bytes, not base64.
import type { EvalJob } from '../run/job.js';
import type { ChildOutcome } from '../search/types.js';

export type ToTrainer =
  /** Train this child. */
  | { type: 'job'; id: string; job: EvalJob }
  /** The answer to an `ask`: a reason stops the child after that epoch. */
  | { type: 'verdict'; id: string; epoch: number; reason?: string };

export type FromTrainer =
  | { type: 'ready'; backend: string; detail: string }
  | { type: 'epoch'; id: string; epoch: number; valAccuracy: number; loss: number }
  /** Should the child go on after `epoch`? (the job asked for pruning) */
  | { type: 'ask'; id: string; epoch: number; valAccuracies: number[] }
  | { type: 'result'; id: string; outcome: ChildOutcome }
  /** This trainer cannot serve the job (other data, image shape or backend): another should. */
  | { type: 'refused'; id: string; reason: string }
  | { type: 'error'; id: string; message: string };
