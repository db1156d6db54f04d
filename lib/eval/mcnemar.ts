import { binomialCdf } from './distributions';
import { checkPairedGroups, type PairedVerdicts } from './paired';

export interface McNemarResult {
  /** images the baseline gets right and the treatment wrong */
  baselineOnly: number;
  /** images the treatment gets right and the baseline wrong */
  treatmentOnly: number;
  /** two-sided exact p-value */
  p: number;
}

/**
 * Exact McNemar test of two models on the same images: under "no difference" each discordant image is equally likely
 * to favour either model, so the discordant count of one side is Binomial(b + c, ½); the two-sided p-value is
 * min(1, 2·P(X ≤ min(b, c))) (statsmodels' `mcnemar(exact=True)`). Several groups (seeds) are pooled by adding their
 * discordant counts.
 */
export function mcnemarExact(groups: readonly PairedVerdicts[]): McNemarResult {
  checkPairedGroups(groups, 'mcnemarExact');
  let b = 0;
  let c = 0;
  for (const g of groups) {
    g.baseline.forEach((base, i) => {
      const treat = g.treatment[i];
      if (base && !treat) b++;
      else if (!base && treat) c++;
    });
  }
  const p = b + c === 0 ? 1 : Math.min(1, 2 * binomialCdf(Math.min(b, c), b + c, 0.5));
  return { baselineOnly: b, treatmentOnly: c, p };
}
