import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { ShapeError } from '../../lib/errors';
import { buildModel, inferenceModel, ModelConfig } from '../../lib/models/registry';
import { pseudoRandom } from './helpers';

before(async () => {
  await selectBackend({ quiet: true });
});

/** model.save into memory, then tf.loadLayersModel from it (what a file/http handler would carry). */
async function roundTrip(model: tf.LayersModel): Promise<{ loaded: tf.LayersModel; artifacts: tf.io.ModelArtifacts }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // JSON through a string, as model.json on disk would be
  const topology = JSON.parse(JSON.stringify(artifacts!.modelTopology));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: artifacts!.weightSpecs, weightData: artifacts!.weightData }));
  return { loaded, artifacts: artifacts! };
}

function outputs(model: tf.LayersModel, x: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const y = model.predict(x) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
  });
}

describe('save → load round trip (custom layers registered by lib/models/registry)', () => {
  const cases: Array<[string, ModelConfig, string[]]> = [
    ['ggcnn', { name: 'ggcnn' }, ['GrasplabInputSizeCheck']],
    ['ggcnn2 (dilated convs, align-corners resize)', { name: 'ggcnn2' }, ['GrasplabDilatedConv2D', 'GrasplabResizeBilinear']],
    ['pspnet with aux head (adaptive pooling)', { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, aux: true }, ['GrasplabAdaptiveAvgPool2D', 'GrasplabDilatedConv2D']],
  ];
  for (const [title, cfg, customClasses] of cases) {
    test(`${title}: identical outputs after reloading`, async () => {
      const model = buildModel({ ...cfg, seed: 3 });
      const { loaded, artifacts } = await roundTrip(model);
      const json = JSON.stringify(artifacts.modelTopology);
      for (const cls of customClasses) assert.ok(json.includes(`"class_name":"${cls}"`), cls);
      assert.deepEqual(loaded.outputs.map((o) => o.shape), model.outputs.map((o) => o.shape));
      assert.equal(loaded.countParams(), model.countParams());
      const x = tf.tensor4d(pseudoRandom(300 * 300, 8), [1, 300, 300, 1]);
      const a = outputs(model, x);
      const b = outputs(loaded, x);
      assert.equal(b.length, a.length);
      a.forEach((t, i) => assert.deepEqual(b[i], t, `output ${i}`));
      // the reloaded model keeps its input-size check
      assert.throws(() => loaded.apply(tf.zeros([1, 296, 296, 1])), ShapeError);
      x.dispose();
      model.dispose();
      loaded.dispose();
    });
  }

  test('the inference view of an aux model saves and reloads as a one-output model with the same main maps', async () => {
    const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, aux: true, seed: 5 });
    const { loaded } = await roundTrip(inferenceModel(model));
    assert.equal(loaded.outputs.length, 1);
    assert.ok(!loaded.layers.some((l) => l.name.startsWith('aux_')));
    const x = tf.tensor4d(pseudoRandom(300 * 300, 9), [1, 300, 300, 1]);
    assert.deepEqual(outputs(loaded, x)[0], outputs(model, x)[0]);
    x.dispose();
    model.dispose();
    loaded.dispose();
  });
});
