/**
 * Every `grasplab` command's options, as data (lib/cli/spec.ts): parsing, `--help`, `grasplab help <cmd>` and usage
 * errors (exit 2) all come from this table, before any model code loads. A new flag is one entry here plus its use
 * in the command's body (lib/cli.ts); a new command is one `defineCommand` here, one entry in `COMMANDS` and one
 * runner in lib/cli.ts's `RUNNERS`.
 *
 * Light imports only (no tfjs): `grasplab eval --top-k 0` must answer in well under a second.
 */
import { PROFILES } from '../config/profiles';
import { INPUT_FITS } from '../export/depth_input';
import { WEIGHT_FORMATS } from '../export/quantize';
import { defineCommand, usageError, type CommandSpec } from './spec';

/** = MODEL_NAMES of lib/models/registry (which loads tfjs; a test keeps the two equal) */
export const CLI_MODEL_NAMES = ['ggcnn', 'ggcnn2', 'pspnet'] as const;
/** = HEAD_BIASES of lib/models/map_heads (which loads tfjs; a test keeps the two equal) */
export const CLI_HEAD_BIASES = ['zeros', 'prior'] as const;
export const CLI_DATASETS = ['cornell', 'jacquard', 'synthetic'] as const;
export const EVAL_SPLITS = ['all', 'train', 'val', 'test'] as const;
/** = the keys of ONNX_EXPORT_FORMATS in lib/export/onnx (which loads tfjs; a test keeps the two equal) */
export const ONNX_FORMAT_NAMES = ['onnx', 'onnx-float16', 'onnx-int8'] as const;
const PROFILE_NAMES = Object.keys(PROFILES);

export const TRAIN = defineCommand({
  name: 'train',
  summary: 'train a model like the notebooks do (resumable runs in results/runs/NAME)',
  description: `Trains like the notebooks (lib/experiment) on the dataset named by GRASPLAB_DATASET / GRASPLAB_DATA_DIR
(image-wise 90/10 split, seed 1) and writes results/runs/NAME/ (best/, last/, run.json; default NAME:
cli-<model>-<profile>-s<seed>-<config key>, so other settings give another folder). An interrupted run (Ctrl-C:
it saves the current step and exits 130) resumes where it stopped unless --fresh. --aux-weight adds PSPNet's aux head. Defaults come from the profile. With GRASPLAB_DRY_RUN=1 every
run takes 2 steps and scores 2 images (same model sizes).`,
  options: {
    model: { type: 'string', required: true, choices: CLI_MODEL_NAMES, help: 'network to train' },
    depth: { type: 'int', min: 18, max: 101, value: '18|34|50|101', help: "PSPNet's ResNet depth (default: the profile's)" },
    'width-mult': { type: 'number', min: 0.01, max: 4, help: "PSPNet's width multiplier (default: the profile's)" },
    'aux-weight': { type: 'number', min: 0, help: "weight of PSPNet's aux-head loss; > 0 adds the aux head (PSPNet: 0.4)" },
    'head-bias': { type: 'string', choices: CLI_HEAD_BIASES, default: 'zeros', help: "output biases at the start: zeros (ggcnn's init) or prior (the targets' background, cos 1; GG-CNN leaves its plateau sooner)" },
    profile: { type: 'string', choices: PROFILE_NAMES, env: 'GRASPLAB_PROFILE', default: 'cpu', help: 'sizes: epochs, batch, steps per epoch' },
    epochs: { type: 'int', min: 1, help: "epochs (default: the profile's)" },
    'batch-size': { type: 'int', min: 1, help: "batch size (default: the profile's)" },
    'run-name': { type: 'string', value: 'NAME', help: 'run folder name under results/runs (default: from model, profile and seed)' },
    seed: { type: 'int', min: 0, help: "seed of weight init and data order (default: the profile's first)" },
    fresh: { type: 'boolean', help: 'delete an earlier run of this name first instead of resuming it' },
  },
  check: ({ values, given }) => {
    if (values.depth !== undefined && ![18, 34, 50, 101].includes(values.depth)) throw usageError('train', `--depth ${values.depth}: use 18, 34, 50 or 101`);
    if (values.model !== 'pspnet') {
      const bad = ['depth', 'width-mult', 'aux-weight'].filter((k) => given.has(k));
      if (bad.length) throw usageError('train', `${bad.map((k) => `--${k}`).join(', ')} only ${bad.length > 1 ? 'apply' : 'applies'} to --model pspnet (got --model ${values.model})`);
    }
  },
  examples: ['grasplab train --model pspnet --depth 50 --width-mult 1 --aux-weight 0.4 --profile paper --run-name psp50-aux'],
});

export const EVAL = defineCommand({
  name: 'eval',
  summary: 'score a model with the rectangle metric on a dataset folder',
  description: `Scores a model with the Cornell rectangle metric (ggcnn's calculate_iou_match: a detected grasp is correct when
its IoU with a ground-truth rectangle exceeds --iou-threshold and their angles differ by at most --angle-threshold)
on a split of a dataset folder, and writes a per-image JSON: the crop window each image's 300x300 input was cut
from, its top-k grasps (network frame: [row, col] px in the crop), best IoU and verdict.
--split: 'all' = every image of the folder; 'train'/'val' = the image-wise 90/10 split every training run uses
(--split-seed); 'test' = the dataset's held-out test split, where it has one. Default: test where the dataset has
one, else all for a folder given with --data-dir, else val.
--model takes a model folder (model.json, optionally card.json): a folder of models/, a 'grasplab export' or
'grasplab import' output, a checkpoint (results/runs/NAME/best), or a run folder (its best/), or an exported
MODEL.onnx. Forward passes run on ONNX Runtime where it is installed (GRASPLAB_FORWARD=tfjs forces tfjs).
PyTorch .npz weights: convert them first with 'grasplab import'.`,
  options: {
    model: { type: 'string', required: true, value: 'PATH', aliases: ['model-dir'], help: 'model folder or MODEL.onnx (see above)' },
    dataset: { type: 'string', choices: CLI_DATASETS, env: 'GRASPLAB_DATASET', help: 'dataset format (without it: detected from the folder when --data-dir is given, else $GRASPLAB_DATASET, else synthetic)' },
    'data-dir': { type: 'string', value: 'DIR', env: 'GRASPLAB_DATA_DIR', help: 'dataset folder (default data/<dataset>)' },
    split: { type: 'string', choices: EVAL_SPLITS, help: 'which images (see above)' },
    limit: { type: 'int', min: 1, help: 'score only the first N images of the split' },
    'iou-threshold': { type: 'number', min: 0, max: 1, default: 0.25, help: 'IoU a grasp must exceed (ggcnn: 0.25)' },
    'angle-threshold': { type: 'number', min: 0, max: 90, default: 30, value: 'DEG', help: 'largest angle difference in degrees (ggcnn: 30)' },
    'top-k': { type: 'int', min: 1, default: 1, help: "grasps per image; correct if any matches (ggcnn's no_grasps)" },
    'batch-size': { type: 'int', min: 1, default: 4, help: 'images per forward pass' },
    'split-seed': { type: 'int', min: 0, default: 1, advanced: true, help: 'seed of the train/val split' },
    out: { type: 'string', value: 'FILE.json', help: 'per-image JSON (default: results/eval/<model>-<dataset>-<split>.json)' },
    'jacquard-output': { type: 'string', value: 'FILE', help: "also write the top-k grasps in Jacquard's submission format" },
  },
  examples: [
    'grasplab eval --model models/ggcnn-reference --dataset cornell --data-dir /data/cornell --split all',
    'grasplab eval --model results/runs/psp50-aux/best --split val --top-k 3 --out psp50-val.json',
  ],
});

export const EXPORT = defineCommand({
  name: 'export',
  summary: 'write a model for applications: TensorFlow.js (optionally quantised weights) or ONNX',
  description: `Writes model.json + group1-shard*.bin (tfjs layers format), or with --format onnx|onnx-float16|onnx-int8 an ONNX
model (opset 17, input 'depth' [batch,S,S,1], output 'maps' [batch,S,S,4]: pos, cos, sin, width) to FILE.onnx or
DIR/model.onnx, for robot software in C++/Python/ROS or TensorRT. --format all: one sub-folder per format. An
aux-head model exports its main output only.`,
  options: {
    model: { type: 'string', required: true, value: 'PATH', aliases: ['model-dir'], help: 'model folder to export (as for eval)' },
    out: { type: 'string', required: true, value: 'DIR|FILE.onnx', help: 'output folder (created), or the .onnx file of one ONNX format' },
    format: { type: 'string', choices: [...WEIGHT_FORMATS, ...ONNX_FORMAT_NAMES, 'all'], default: 'float32', help: 'weight storage (tfjs), or an ONNX model (onnx*)' },
  },
  examples: [
    'grasplab export --model results/runs/psp50-aux/best --out exported/psp50 --format uint8',
    'grasplab export --model results/runs/psp50-aux/best --out exported/psp50.onnx --format onnx',
  ],
});

export const PREDICT = defineCommand({
  name: 'predict',
  summary: 'top grasps for one depth image',
  description: `IMAGE: float32 TIFF in metres, 16-bit PNG in millimetres, or .npy float array in metres. Prints the top-k grasps as
JSON (centre [row, col] px, angle rad/deg, opening px, jaw px, quality). --no-preprocess: IMAGE (.npy, SxS) is the
network input itself (no inpainting, crop or normalisation). --maps-out: the raw network maps as .npy float32
[S,S,4], channels pos, cos, sin, width.`,
  options: {
    model: { type: 'string', required: true, value: 'PATH', aliases: ['model-dir'], help: 'model folder or MODEL.onnx (as for eval)' },
    'top-k': { type: 'int', min: 1, default: 3, help: 'grasps to print' },
    overlay: { type: 'string', value: 'FILE.png', help: 'also draw the grasps on the depth image (PNG; its folder is created)' },
    crop: { type: 'string', choices: INPUT_FITS, default: 'none', help: 'none: the image is already SxS; center: central SxS crop; resize: central square resized to SxS' },
    resize: { type: 'boolean', help: 'same as --crop resize' },
    threshold: { type: 'number', help: 'quality threshold of a grasp peak (ggcnn: 0.2; may be negative: every peak)' },
    'min-distance': { type: 'int', min: 0, help: 'minimum distance between grasp peaks in px (ggcnn: 20)' },
    'no-preprocess': { type: 'boolean', help: 'IMAGE is the SxS network input itself (.npy): no inpainting, crop or normalisation' },
    'maps-out': { type: 'string', value: 'FILE.npy', help: 'also write the raw maps [S,S,4] (pos, cos, sin, width) as float32 .npy' },
  },
  positionals: { name: 'IMAGE', help: 'depth image: float32 TIFF in metres, 16-bit PNG in millimetres, or .npy', min: 1, max: 1 },
  check: ({ values, given }) => {
    if (values.resize && given.has('crop') && values.crop !== 'resize') throw usageError('predict', `--resize and --crop ${values.crop} contradict each other`);
    if (values['no-preprocess'] && (given.has('crop') || values.resize)) throw usageError('predict', '--no-preprocess takes the SxS network input as it is: no --crop/--resize');
  },
  examples: ['grasplab predict --model exported/psp50 depth.tiff --top-k 3 --crop center --overlay grasps.png'],
});

export const IMPORT = defineCommand({
  name: 'import',
  summary: 'a PyTorch state dict (.npz) → a model folder for eval, predict and export',
  description: `A PyTorch state dict saved as .npz (README: "PyTorch weights") → a model folder for eval, predict and export.
pspnet: hszhao/semseg module names plus the report's conv0 and *_output convs; depth, width and aux are read off the
dict (given values must agree). --backbone-only loads the ResNet only (e.g. semseg's pretrained resnet50_v2) and
reports the keys used.`,
  options: {
    from: { type: 'string', required: true, value: 'STATE.npz', help: 'the state dict (.npz, PyTorch layouts)' },
    model: { type: 'string', required: true, choices: CLI_MODEL_NAMES, help: 'the network the dict belongs to' },
    depth: { type: 'int', min: 18, max: 101, value: '18|34|50|101', help: "PSPNet's ResNet depth (default: read off the dict)" },
    'width-mult': { type: 'number', min: 0.01, max: 4, help: "PSPNet's width multiplier (default: read off the dict)" },
    aux: { type: 'boolean', help: "PSPNet with the aux head (default: read off the dict)" },
    'backbone-only': { type: 'boolean', help: 'load the ResNet backbone only; the rest stays as initialised' },
    seed: { type: 'int', min: 0, help: 'initialisation seed of layers the dict does not provide (default 1)' },
    out: { type: 'string', required: true, value: 'DIR', help: 'model folder to write' },
  },
  check: ({ values, given }) => {
    if (values.depth !== undefined && ![18, 34, 50, 101].includes(values.depth)) throw usageError('import', `--depth ${values.depth}: use 18, 34, 50 or 101`);
    if (values.model !== 'pspnet') {
      const bad = ['depth', 'width-mult', 'aux', 'backbone-only'].filter((k) => given.has(k));
      if (bad.length) throw usageError('import', `${bad.map((k) => `--${k}`).join(', ')} only ${bad.length > 1 ? 'apply' : 'applies'} to --model pspnet (got --model ${values.model})`);
    }
  },
  examples: ['grasplab import --from ggcnn_cornell_epoch23.npz --model ggcnn --out models/ggcnn-published'],
});

export const LATENCY = defineCommand({
  name: 'latency',
  summary: 'batch-1 forward and prediction time of a model',
  description: 'Batch-1 milliseconds per SxS depth image: forward pass, and the whole prediction with post-processing.',
  options: {
    model: { type: 'string', required: true, value: 'PATH', aliases: ['model-dir'], help: 'model folder or MODEL.onnx (as for eval)' },
    runs: { type: 'int', min: 1, default: 10, help: 'timed runs' },
    warmup: { type: 'int', min: 0, default: 2, help: 'untimed runs first' },
  },
});

export const DOCTOR = defineCommand({
  name: 'doctor',
  summary: 'what this machine offers before a long run: backends, Jupyter, datasets, memory, disk',
  description: `Reports Node and tfjs versions, the tfjs backend that would be selected and why the others were skipped (for
tfjs-node-gpu: the CUDA/cuDNN libraries it needs and which were found), wasm threads, onnxruntime-node, the
project's Jupyter environment (.venv) and kernel spec, the dataset folders and their sample counts, free memory and
disk, and the memory the profile's largest training run needs. Exit 0 even when something is missing (the report
says what); --json prints the report as JSON.`,
  options: {
    json: { type: 'boolean', help: 'print the report as JSON' },
    profile: { type: 'string', choices: PROFILE_NAMES, env: 'GRASPLAB_PROFILE', default: 'cpu', help: 'profile whose largest run is sized' },
  },
});

/** Every command, in the order `grasplab --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [TRAIN, EVAL, EXPORT, PREDICT, LATENCY, IMPORT, DOCTOR];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
