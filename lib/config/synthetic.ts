import { createHash } from 'crypto';
import { ConfigError } from '../errors';

/**
 * Configuration of the synthetic scene generator (lib/data/synthetic.ts): feature switches, so that each feature's
 * effect on real-image accuracy can be measured (the ablation of notebook 01), and a fingerprint that keys the data
 * folder, so every configuration has its own folder and switching back and forth never regenerates a set.
 */
export interface SyntheticConfig {
  /**
   * 'oblique': Cornell's view, a camera ~1 m from the table looking down at ~40–55° from vertical, so the table is a
   * strong depth ramp; pose randomised. 'overhead': the first generator's camera 0.6–0.8 m above the table, tilted
   * at most 8°.
   */
  camera: 'oblique' | 'overhead';
  /**
   * 'kinect': Kinect-style depth with spatially correlated noise (as measured on real Cornell) and missing pixels that
   * the loader inpaints; 'kinect-white': the first generator's per-pixel noise with disparity quantisation and the
   * same missing pixels; 'clean': exact depth.
   */
  sensor: 'kinect' | 'kinect-white' | 'clean';
  /**
   * 'cornell': household-like library (flat objects, handles, rings, bowls and mugs, thin tools, blobs, clutter) with
   * Cornell's sizes; 'basic': the first generator's boxes, cylinders, spheres, bars, L/T shapes and mugs.
   */
  objects: 'cornell' | 'basic';
  /** the table edge with the floor and a back wall beyond it (else the table fills the view, or the floor shows below) */
  background: boolean;
  /**
   * 'human': Cornell-like labels (several rectangles per object, constant gripper plate, openings with a labeller's
   * margin, jittered); 'geometric': the first generator's labels (plate = half the opening, exact margins).
   */
  labels: 'human' | 'geometric';
  /**
   * Tilt of the oblique camera from vertical. 'mixed' (undefined): two thirds of the views at Cornell's 38–56°, a third
   * flatter (10–38°), chosen when a zero-bias GG-CNN stayed at 0 % on Cornell's angle only (a plateau later traced to
   * its output-bias init, README); 'cornell': every view at 38–56°, Cornell's measured ramp (its crops all slope
   * −1.9 to −2.1 mm per row). Same random draws either way, so the scenes whose view is at Cornell's angle anyway (about
   * two thirds) are identical in two presets differing only here, and the rest get a steeper view of their folder's
   * objects. Ignored by the overhead camera.
   */
  viewTilt?: 'mixed' | 'cornell';
}

/** Bump when the generator's output for a given config changes: the fingerprint changes and sets are regenerated. */
export const SYNTHETIC_GENERATOR_VERSION = 2;

/** The default: everything that makes scenes look like Cornell. */
export const CORNELL_LIKE: SyntheticConfig = { camera: 'oblique', sensor: 'kinect', objects: 'cornell', background: true, labels: 'human' };

/** Named configurations: the default, the first generator, and the ablation's one-feature-off variants. */
export const SYNTHETIC_PRESETS: Record<string, SyntheticConfig> = {
  cornell: CORNELL_LIKE,
  'no-tilt': { ...CORNELL_LIKE, camera: 'overhead' },
  'no-noise': { ...CORNELL_LIKE, sensor: 'clean' },
  'basic-objects': { ...CORNELL_LIKE, objects: 'basic' },
  'no-background': { ...CORNELL_LIKE, background: false },
  'geometric-labels': { ...CORNELL_LIKE, labels: 'geometric' },
  /** the generator before the Cornell-like features (camera, objects and labels of version 1) */
  'white-noise': { ...CORNELL_LIKE, sensor: 'kinect-white' },
  /** every oblique view at Cornell's angle (see `viewTilt`) */
  'cornell-view': { ...CORNELL_LIKE, viewTilt: 'cornell' },
  v1: { camera: 'overhead', sensor: 'kinect-white', objects: 'basic', background: false, labels: 'geometric' },
};

export const DEFAULT_SYNTHETIC_PRESET = 'cornell';

/** The seed of the workbook's synthetic training/validation set (`npm run data`, notebooks, CLI). */
export const SYNTHETIC_SEED = 2018;

/** A short stable hash of the config and generator version (8 hex digits). */
export function syntheticFingerprint(config: SyntheticConfig): string {
  const keys = Object.keys(config).sort() as (keyof SyntheticConfig)[];
  const canonical = JSON.stringify({ version: SYNTHETIC_GENERATOR_VERSION, ...Object.fromEntries(keys.map((k) => [k, config[k]])) });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 8);
}

/** The preset's name when `config` equals one, else 'custom'. */
export function syntheticConfigName(config: SyntheticConfig): string {
  const fp = syntheticFingerprint(config);
  return Object.entries(SYNTHETIC_PRESETS).find(([, c]) => syntheticFingerprint(c) === fp)?.[0] ?? 'custom';
}

/** Folder name of one synthetic set: `<preset>-<fingerprint>-s<seed>-n<count>`. */
export function syntheticSetName(config: SyntheticConfig, seed: number, count: number): string {
  return `${syntheticConfigName(config)}-${syntheticFingerprint(config)}-s${seed}-n${count}`;
}

/** The generator config named by `GRASPLAB_SYNTHETIC` (a preset name; default 'cornell'). */
export function currentSyntheticConfig(env: NodeJS.ProcessEnv = process.env): { name: string; config: SyntheticConfig } {
  const name = (env.GRASPLAB_SYNTHETIC ?? DEFAULT_SYNTHETIC_PRESET).trim();
  const config = SYNTHETIC_PRESETS[name];
  if (!config) throw new ConfigError(`GRASPLAB_SYNTHETIC=${name} is not a generator preset; use one of ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
  return { name, config };
}
