import * as tf from '@tensorflow/tfjs';

/**
 * Weight initialisers by name, seeded. Layers keep the name and seed in their config, so a model built twice from
 * the same config and seed has the same weights (tfjs initialisers fall back to Math.random without a seed).
 * - `glorotUniform`: GG-CNN / GG-CNN2 (`nn.init.xavier_uniform_(gain=1)` in dougsm/ggcnn).
 * - `heNormalFanOut`: ResNet/PSPNet convs (torchvision/semseg `kaiming_normal_(mode='fan_out', nonlinearity='relu')`;
 *   tfjs draws it from a truncated normal).
 * - `torchDefault`: PyTorch's default conv init, `kaiming_uniform_(a=√5)` = U(±1/√fan_in), for the layers semseg leaves
 *   at their default (pyramid pooling, head, aux head, classifier). He init there makes the 4-channel classifier's
 *   outputs ~5× too large at the start (an initial loss near 50 instead of ~0.1), which a short CPU budget never
 *   recovers from.
 */
export type InitName = 'glorotUniform' | 'heNormalFanOut' | 'torchDefault';

export function makeInitializer(name: InitName, seed: number): ReturnType<typeof tf.initializers.glorotUniform> {
  switch (name) {
    case 'glorotUniform':
      return tf.initializers.glorotUniform({ seed });
    case 'heNormalFanOut':
      return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed });
    case 'torchDefault':
      // U(±limit) with limit = sqrt(3·scale/fan_in); scale 1/3 gives limit 1/√fan_in
      return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed });
  }
}

/**
 * Hands out one seed per layer from a model seed, so layers differ from each other but the model is reproducible.
 */
export class SeedSequence {
  private i = 0;
  constructor(private readonly base: number) {}
  next(): number {
    this.i += 1;
    // any injective map works; tfjs feeds the number to seedrandom as a string
    return this.base * 100003 + this.i;
  }
}
