import * as tf from '@tensorflow/tfjs';
import { graspLoss } from './losses';

/** Network stages, by the prefix of their weight names (lib/models naming: `layer0_…`, `layer3_…`, `ppm_…`, `aux_…`). */
const STAGES = ['conv0', 'layer0', 'layer1', 'layer2', 'layer3', 'layer4', 'ppm', 'head', 'aux'] as const;

function stageOf(weightName: string): string {
  const base = weightName.replace(/^.*?\//, (m) => (STAGES.some((s) => m.startsWith(s)) ? m : ''));
  return STAGES.find((s) => base.startsWith(s)) ?? 'other';
}

/**
 * L2 norm of the loss gradient per network stage, for one batch, in training mode:
 * `loss = main + auxWeight · aux` (aux only for `[main, aux]` models). Shows how much learning signal reaches the
 * early layers with and without the auxiliary head (PSPNet's argument for it).
 * @param x `[B,S,S,1]`, y `[B,S,S,4]` (not disposed)
 * @returns stage → gradient norm (stages without weights are absent)
 */
export function gradientNormsByStage(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor4D, auxWeight: number): Record<string, number> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const names = model.trainableWeights.map((w) => w.originalName ?? w.name);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: true }) as tf.Tensor4D | tf.Tensor4D[];
    const outs = Array.isArray(out) ? out : [out];
    let loss = graspLoss(outs[0], y).loss;
    if (outs.length > 1 && auxWeight > 0) loss = tf.add(loss, tf.mul(auxWeight, graspLoss(outs[1], y).loss));
    return loss;
  }, vars);
  const sums: Record<string, number> = {};
  vars.forEach((v, i) => {
    const g = grads[v.name];
    if (!g) return;
    const s = tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]);
    const stage = stageOf(names[i]);
    sums[stage] = (sums[stage] ?? 0) + s;
  });
  tf.dispose([value, ...Object.values(grads)]);
  const norms: Record<string, number> = {};
  for (const s of [...STAGES, 'other']) if (sums[s] !== undefined) norms[s] = Math.sqrt(sums[s]);
  return norms;
}
