// A trainer process: the one place a child is trained outside the search's own process. A parallel
// search starts K of them on its machine (local-pool.ts); `nascent worker` starts one beside its
// BullMQ worker (worker.ts). Training in a process of its own keeps the parent's event loop free
// while tfjs holds this one for seconds at a time: the parent goes on answering, renewing a queue
// job's lock and hearing Ctrl-C. Started as `nascent _trainer BACKEND [DATA_DIR]` over IPC; it ends
// when its parent does (the IPC channel closes) and ignores a terminal's Ctrl-C (its parent decides).
import { prepareBackend, type BackendChoice, BACKEND_CHOICES } from '../backend/index.js';
import { resolveSearchConfig } from '../config/resolve.js';
import type { DatasetSplits } from '../data/datasets.js';
import { dataFingerprint } from '../data/fingerprint.js';
import { evaluateJob, unmetRequirement, type EvalJob } from '../run/job.js';
import { loadSearchImages } from '../run/parts.js';
import type { FromTrainer, ToTrainer } from './protocol.js';

interface Images {
  splits: DatasetSplits;
  fingerprint: string;
}

export async function runTrainer(args: string[]): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    console.error('nascent _trainer is started by a parallel search or a worker, over IPC; run `nascent worker` instead');
    return 2;
  }
  const [choice = 'auto', dataDir] = args;
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) throw new Error(`_trainer: unknown backend ${choice}`);
  process.on('SIGINT', () => {});
  process.on('disconnect', () => process.exit(0));
  const tell = (m: FromTrainer) => send(m);
  const backend = await prepareBackend(choice as BackendChoice);
  tell({ type: 'ready', backend: backend.name, detail: backend.detail });

  const images = new Map<string, Promise<Images>>();
  const imagesOf = (job: EvalJob): Promise<Images> => {
    const config = resolveSearchConfig({ ...job.config }, { source: 'job config' });
    const key = JSON.stringify(config.problem);
    let loaded = images.get(key);
    if (!loaded) {
      loaded = loadSearchImages(config, { dir: dataDir || undefined }).then((splits) => ({ splits, fingerprint: dataFingerprint(splits) }));
      images.set(key, loaded);
      loaded.catch(() => images.delete(key));
    }
    return loaded;
  };
  const asks = new Map<string, (reason: string | undefined) => void>();
  // One child at a time: a job message arrives only when the parent has had the last one's answer.
  process.on('message', (m: ToTrainer) => {
    if (m.type === 'verdict') {
      asks.get(`${m.id}@${m.epoch}`)?.(m.reason);
      asks.delete(`${m.id}@${m.epoch}`);
      return;
    }
    if (m.type !== 'job') return;
    const { id, job } = m;
    void (async () => {
      try {
        const { splits, fingerprint } = await imagesOf(job);
        const { train } = splits;
        const unmet = unmetRequirement(job, { data: fingerprint, imageShape: [train.height, train.width, train.channels], backend: backend.name });
        if (unmet) return tell({ type: 'refused', id, reason: unmet });
        const outcome = await evaluateJob(job, {
          backend,
          images: splits,
          hooks: {
            onEpochEnd: (epoch, s) => tell({ type: 'epoch', id, epoch: epoch + 1, valAccuracy: s.valAccuracy, loss: s.loss }),
            ...(job.prune
              ? {
                  stopAfterEpoch: (accs: readonly number[]) =>
                    new Promise<string | undefined>((answer) => {
                      asks.set(`${id}@${accs.length}`, answer);
                      tell({ type: 'ask', id, epoch: accs.length, valAccuracies: [...accs] });
                    }),
                }
              : {}),
          },
        });
        tell({ type: 'result', id, outcome: { ...outcome, backend: backend.name } });
      } catch (err) {
        tell({ type: 'error', id, message: (err as Error).message ?? String(err) });
      }
    })();
  });
  return new Promise<number>(() => {});
}
