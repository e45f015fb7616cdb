// The search's look at each architecture through its zero-cost proxy before training it: the
// scores go into the trial (so the report can set proxy against accuracy), and with --proxy-rung
// the proxy is Hyperband's zeroth rung: a new architecture that does not score among the best
// 1/factor of those scored so far (the warm-up's pool included) is rejected untrained, as a rung
// keeps its best 1/eta.
import * as tf from '@tensorflow/tfjs-core';
import type { ProxyNetwork, ProxyScorer, ProxyScores } from '../proxies/index.js';
import { standing } from '../proxies/index.js';
import type { SearchConfig } from '../config/schema.js';
import type { Screen } from '../search/types.js';
import type { SearchSpace } from '../spaces/types.js';
import type { Target } from './types.js';
import { proxyNetworkOf, proxyScorerOf, readWarmUpScores, screenProxyOf, type WarmUpImages, type WarmUpPool } from './warm-up.js';

/** Architectures scored before the rung rejects any (without a warm-up pool to compare with). */
export const RUNG_STARTUP = 10;

export class ProxyScreen implements Screen {
  private readonly seen = new Map<string, ProxyScores>();
  private readonly history: ProxyScores[];

  constructor(
    private readonly scorer: ProxyScorer,
    private readonly network: (arch: unknown) => ProxyNetwork,
    /** The share a rung keeps (1/factor); undefined: record scores, reject nothing. */
    private readonly keep: number | undefined,
    /** Scores from before: the warm-up's pool and recorded trials. */
    earlier: readonly ProxyScores[],
  ) {
    // Only scores by every proxy of the screen compare (a warm-up may have used other proxies).
    this.history = earlier.filter((e) => scorer.names.every((n) => n in e));
  }

  /**
   * Scores already computed for `arch` by the same networks and images (the warm-up's pool): its
   * proposals are then not scored a second time. Ignored unless they hold every proxy of the screen.
   */
  remember(arch: unknown, scores: ProxyScores): void {
    if (this.scorer.names.every((n) => n in scores)) this.seen.set(JSON.stringify(arch), Object.fromEntries(this.scorer.names.map((n) => [n, scores[n]])));
  }

  async look(arch: unknown, judge: boolean): Promise<{ scores: ProxyScores; reject?: string; seconds: number }> {
    const started = performance.now();
    // A promoted child, or an architecture met before, is not scored again (the weights are seeded:
    // same scores). By the architecture itself, not its canonical key: cells equivalent in what they
    // compute may still differ in parameters (an unused convolution), and so in their scores.
    const id = JSON.stringify(arch);
    let scores = this.seen.get(id);
    if (!scores) {
      scores = (await this.scorer.score(this.network(arch))).scores;
      this.seen.set(id, scores);
    }
    const seconds = (performance.now() - started) / 1000;
    if (!judge) return { scores, seconds };
    const others = this.history.length;
    const at = standing(scores, this.history, this.scorer.names);
    this.history.push(scores);
    if (this.keep === undefined || others < RUNG_STARTUP) return { scores, seconds };
    // (1 - 1/3 is 0.6666666666666667 in floating point, above 2/3 itself: compare with a margin.)
    if (at >= 1 - this.keep - 1e-9) return { scores, seconds };
    const failed = this.scorer.names.filter((n) => scores[n] === null);
    const why = failed.length
      ? `${failed.join(', ')} could not score it`
      : `${this.scorer.spec} ranks it above ${(at * 100).toFixed(0)}% of ${others} scored, below the best ${(this.keep * 100).toFixed(0)}% the rung keeps`;
    return { scores, seconds, reject: why };
  }

  dispose(): void {
    tf.dispose([this.scorer.batch.images, this.scorer.batch.labels]);
  }
}

/**
 * The screen a search runs with: scoring on the rung's proxies (else the warm-up's), comparing with
 * the warm-up's pool (or, resumed, warmup.jsonl) and the trials already recorded, and knowing the
 * pool's scores so that the proposals the warm start seeds from it are not scored again.
 */
export function screenOf(
  config: SearchConfig,
  space: SearchSpace,
  images: WarmUpImages | undefined,
  pool: WarmUpPool | undefined,
  target: Target,
): ProxyScreen {
  const screen = new ProxyScreen(
    proxyScorerOf(config, images, screenProxyOf(config)),
    proxyNetworkOf(config, images),
    config.scheduler.proxyRung ? 1 / (config.scheduler.factor ?? 3) : undefined,
    [
      ...(pool ? pool.pool.map((p) => p.scores) : target.store ? readWarmUpScores(target.store.dir) : []),
      // A promotion's scores are its rung-0 trial's again: each architecture counts once.
      ...(target.recovered?.trials ?? []).flatMap((t) => (t.proxy && !(t.rung !== undefined && t.rung > 0) ? [t.proxy] : [])),
    ],
  );
  for (const p of pool?.pool ?? []) screen.remember(space.decode(p.actions), p.scores);
  return screen;
}
