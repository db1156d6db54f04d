import * as tf from '@tensorflow/tfjs';

/**
 * Stand-in GG-CNN for the bench while lib/models/registry.ts is unavailable: the Keras GG-CNN (RSS2018) shape,
 * conv 9/s3 32 → 5/s2 16 → 3/s2 8 → convT 3/s2 8 → 5/s2 16 → 9/s3 32 (ReLU each, 'same'), four 2x2 linear heads
 * concatenated to [B,S,S,4]. Input [B,S,S,1].
 */
export function localGgcnn(inputSize = 300, seed = 1): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed + i });
  const input = tf.input({ shape: [inputSize, inputSize, 1] });
  let h: tf.SymbolicTensor = input;
  const down: [number, number, number][] = [[32, 9, 3], [16, 5, 2], [8, 3, 2]];
  down.forEach(([filters, k, s], i) => {
    h = tf.layers.conv2d({ filters, kernelSize: k, strides: s, padding: 'same', activation: 'relu', kernelInitializer: init(i) }).apply(h) as tf.SymbolicTensor;
  });
  const up: [number, number, number][] = [[8, 3, 2], [16, 5, 2], [32, 9, 3]];
  up.forEach(([filters, k, s], i) => {
    h = tf.layers.conv2dTranspose({ filters, kernelSize: k, strides: s, padding: 'same', activation: 'relu', kernelInitializer: init(10 + i) }).apply(h) as tf.SymbolicTensor;
  });
  const heads = [0, 1, 2, 3].map(
    (i) => tf.layers.conv2d({ filters: 1, kernelSize: 2, padding: 'same', kernelInitializer: init(20 + i) }).apply(h) as tf.SymbolicTensor,
  );
  const out = tf.layers.concatenate({ axis: 3 }).apply(heads) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'local_ggcnn' });
}
