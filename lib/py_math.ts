/**
 * Python's numeric rounding, where grasplab must reproduce values computed by Python code (ggcnn's rectangle
 * loading, the channel counts of width-multiplied PyTorch networks). Base layer: no imports.
 */

/** Python 3's `round(x)` for a float: nearest integer, ties to even (JS `Math.round` rounds ties up). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for |x| < 2^52
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
