import { graspFromRect } from '../data/grasp_rect';
import { Rng } from '../data/random';
import type { Sample } from '../types';
import { graspMatches } from './iou';

/**
 * The accuracy of guessing: the rectangle metric's success rate of a random top grasp on the same images, the level a
 * trained network must beat before its accuracy means anything. Each guess has a centre uniform over the image, an
 * angle uniform in [−π/2, π/2) and the image's median ground-truth opening and jaw size (so the guess is of the
 * right size: a generous baseline). Averaged over `draws` guesses per image (Monte Carlo, seeded).
 */
export interface ChanceOptions {
  /** guesses per image (default 200) */
  draws?: number;
  seed?: number;
}

export interface ChanceResult {
  /** expected fraction of images a random top grasp gets right */
  accuracy: number;
  /** per image, the fraction of guesses that matched */
  perImage: number[];
}

export function randomGraspAccuracy(samples: readonly Sample[], opts: ChanceOptions = {}): ChanceResult {
  const draws = opts.draws ?? 200;
  const rng = new Rng(opts.seed ?? 1);
  const perImage = samples.map((s) => {
    if (s.grasps.length === 0) return 0;
    const gts = s.grasps.map(graspFromRect);
    const length = median(gts.map((g) => g.length));
    const width = median(gts.map((g) => g.width));
    let hits = 0;
    for (let k = 0; k < draws; k++) {
      const guess = {
        center: [rng.uniform(0, s.depth.height), rng.uniform(0, s.depth.width)] as [number, number],
        angle: rng.uniform(-Math.PI / 2, Math.PI / 2),
        length,
        width,
      };
      if (graspMatches(guess, s.grasps)) hits++;
    }
    return hits / draws;
  });
  const accuracy = perImage.length ? perImage.reduce((a, b) => a + b, 0) / perImage.length : 0;
  return { accuracy, perImage };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): how likely guessing alone gets at least k of n images right. (Exact sum; n is a
 * validation set's size, small.)
 */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let total = 0;
  for (let i = k; i <= n; i++) total += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return Math.min(1, total);
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}
