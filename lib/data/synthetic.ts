import * as fs from 'fs';
import * as path from 'path';
import { GraspRectPoints, Point, RawSample } from '../types';
import { ConfigError } from '../errors';
import { Rng } from './random';
import { rectFromGrasp, wrapAngle } from './grasp_rect';
import { footprintContains, GRIPPER, LocalGrasp, makePrototype, ObjectPrototype, randomPrototype, Vec3 } from './synthetic_objects';
import { Camera, makeCamera, opticalAxisOnTable, PlacedObject, project, renderScene, sensorDepth, shadeRgb, Table } from './synthetic_render';
import { encodeRgbPng, RgbImage } from './png';
import { encodeFloat32Tiff } from './tiff';

/**
 * grasplab's default dataset: seeded synthetic tabletop depth scenes written in Cornell's on-disk format
 * (`<dir>/NN/pcdXXXXd.tiff` float32 metres 480×640 with sensor holes as 0, `pcdXXXXcpos.txt`, `pcdXXXXcneg.txt`,
 * a shaded `pcdXXXXr.png`), so the Cornell loader reads it.
 *
 * Scenes: 1–3 objects (boxes, standing/lying cylinders, spheres, elongated tools, L/T shapes, mugs, and large
 * flat boards that cannot be grasped) on a table seen by a 640×480, f = 580 px depth camera 0.6–0.8 m above it,
 * tilted up to 8°, with Kinect-like noise and holes (see `synthetic_render.ts`). Positive rectangles come from
 * the geometry: antipodal grasps across dimensions the gripper spans (2–12.5 cm), several positions and, for
 * round objects, several angles; jaws that would land on a neighbour are dropped; labels get small human-like
 * jitter. Negatives: wrong angles, too-small openings on round objects, empty table.
 *
 * Object groups: scenes are stored in folders `01`, `02`, … (objectId = folder). Each folder has its own set of
 * object prototypes re-posed in every scene of the folder, so an object-wise split (by folder) validates on
 * objects never seen in training, as Cornell's folders do.
 */

/** Bump when the generator's output changes: `--if-missing` then regenerates. */
export const SYNTHETIC_VERSION = 1;
/** The seed of the default set written by `npm run data`. */
export const SYNTHETIC_DEFAULT_SEED = 2018;
export const MANIFEST_FILE = 'manifest.json';

export interface SyntheticLayout {
  scenesPerFolder: number;
  folders: number;
}

/** Folders of up to 100 scenes, about 20 folders (so a 0.9 object-wise split lands near 0.9). */
export function syntheticLayout(count: number): SyntheticLayout {
  if (!(Number.isInteger(count) && count >= 1 && count <= 9900)) throw new ConfigError(`synthetic scene count must be an integer in [1, 9900], got ${count}`);
  const scenesPerFolder = Math.min(100, Math.max(1, Math.ceil(count / 20)));
  return { scenesPerFolder, folders: Math.ceil(count / scenesPerFolder) };
}

/** Folder name and Cornell image number of scene `index` (0-based): folder `NN`, image `NN·100 + k`. */
export function sceneName(index: number, layout: SyntheticLayout): { folder: string; number: number; id: string } {
  const f = Math.floor(index / layout.scenesPerFolder) + 1;
  const k = index % layout.scenesPerFolder;
  const folder = String(f).padStart(2, '0');
  const number = f * 100 + k;
  return { folder, number, id: `${folder}/pcd${String(number).padStart(4, '0')}` };
}

export interface SyntheticObjectInfo {
  shape: string;
  /** position on the table (m) and yaw (rad) */
  x: number;
  y: number;
  yaw: number;
  /** prototype index within the scene's folder */
  prototype: number;
  positives: number;
}

/**
 * One generated scene. `depth` is what the sensor sees (metres, 0 = missing; what `d.tiff` stores), `grasps` the
 * positive rectangles (`cpos.txt`).
 */
export interface SyntheticScene extends RawSample {
  /** negative rectangles (`cneg.txt`) */
  negatives: GraspRectPoints[];
  rgb: RgbImage;
  camera: { height: number; tiltXDeg: number; tiltYDeg: number; f: number };
  objects: SyntheticObjectInfo[];
  folder: string;
  number: number;
}

/** The object prototypes of one folder (seeded by the dataset seed and folder). */
export function folderPrototypes(seed: number, folder: number, scenesPerFolder: number): ObjectPrototype[] {
  const rng = new Rng(seed).fork(1_000_000 + folder);
  const n = Math.min(6, Math.max(2, Math.ceil(scenesPerFolder / 5)));
  const protos = Array.from({ length: n }, () => randomPrototype(rng));
  // a large flat board (not graspable) in some folders, used only as clutter
  if (rng.chance(0.4)) protos.push(makePrototype('flat-board', rng));
  return protos;
}

/**
 * Generates scene `index` of a dataset of `count` scenes with seed `seed` (independent of the other scenes).
 * Grasp coordinates are rounded to 0.01 px, as written to the text files.
 */
export function generateScene(seed: number, index: number, count: number): SyntheticScene {
  const layout = syntheticLayout(count);
  if (!(Number.isInteger(index) && index >= 0 && index < count)) throw new ConfigError(`scene index ${index} outside [0, ${count})`);
  const name = sceneName(index, layout);
  const folderIndex = Math.floor(index / layout.scenesPerFolder) + 1;
  const protos = folderPrototypes(seed, folderIndex, layout.scenesPerFolder);
  const rng = new Rng(seed).fork(index);

  const camH = rng.uniform(0.6, 0.8);
  const tiltX = (rng.uniform(-8, 8) * Math.PI) / 180;
  const tiltY = (rng.uniform(-8, 8) * Math.PI) / 180;
  const cam = makeCamera(camH, tiltX, tiltY);
  const centre = opticalAxisOnTable(cam);
  const sc: Vec3 = [centre[0] + rng.uniform(-0.03, 0.03), centre[1] + rng.uniform(-0.03, 0.03), 0];
  const table = randomTable(rng, sc);

  for (let attempt = 0; ; attempt++) {
    const placed = placeObjects(rng, protos, sc, attempt >= 5);
    const { positives, negatives, perObject } = labelGrasps(rng, cam, placed, sc);
    if (positives.length === 0 && attempt < 20) continue; // every scene needs a positive (the crop centres on them)
    const render = renderScene(cam, table, placed);
    const depth = sensorDepth(render, cam, rng);
    const rgb = shadeRgb(render, table, placed, rng);
    return {
      id: name.id,
      objectId: name.folder,
      depth: { height: cam.height, width: cam.width, data: depth },
      grasps: positives,
      negatives,
      rgb,
      camera: { height: camH, tiltXDeg: (tiltX * 180) / Math.PI, tiltYDeg: (tiltY * 180) / Math.PI, f: cam.f },
      objects: placed.map((o, k) => ({ shape: o.proto.shape, x: o.x, y: o.y, yaw: o.yaw, prototype: protos.indexOf(o.proto), positives: perObject[k] })),
      folder: name.folder,
      number: name.number,
    };
  }
}

function randomTable(rng: Rng, sc: Vec3): Table {
  // usually the table fills the view; sometimes its edge and the floor show
  const big = rng.chance(0.7);
  const reach = () => (big ? rng.uniform(0.5, 0.9) : rng.uniform(0.22, 0.4));
  const shade = rng.uniform(0.55, 0.9);
  const tint = rng.uniform(-0.08, 0.08);
  return {
    x0: sc[0] - reach(),
    x1: sc[0] + reach(),
    y0: sc[1] - reach(),
    y1: sc[1] + reach(),
    floorZ: -rng.uniform(0.65, 0.8),
    color: [shade + tint, shade, shade - tint],
  };
}

/** 1 object (45 %), 2 (35 %) or 3 (20 %), non-overlapping footprints; the first is always graspable. */
function placeObjects(rng: Rng, protos: ObjectPrototype[], sc: Vec3, single: boolean): PlacedObject[] {
  const graspable = protos.filter((p) => p.grasps.length > 0);
  const u = rng.next();
  const n = single ? 1 : u < 0.45 ? 1 : u < 0.8 ? 2 : 3;
  const placed: PlacedObject[] = [];
  for (let k = 0; k < n; k++) {
    const proto = k === 0 ? rng.pick(graspable) : rng.pick(protos);
    const spread = k === 0 ? 0.04 : 0.13;
    for (let tries = 0; tries < 40; tries++) {
      const a = rng.uniform(0, 2 * Math.PI);
      const d = spread * Math.sqrt(rng.next());
      const cand: PlacedObject = { proto, x: sc[0] + d * Math.cos(a), y: sc[1] + d * Math.sin(a), yaw: rng.uniform(0, 2 * Math.PI) };
      const gap = rng.uniform(0.005, 0.03);
      if (placed.every((o) => Math.hypot(o.x - cand.x, o.y - cand.y) >= o.proto.radius + proto.radius + gap)) {
        placed.push(cand);
        break;
      }
    }
  }
  return placed;
}

/** World position of an object-frame point. */
function toWorld(o: PlacedObject, p: Vec3): Vec3 {
  const c = Math.cos(o.yaw);
  const s = Math.sin(o.yaw);
  return [o.x + c * p[0] - s * p[1], o.y + s * p[0] + c * p[1], p[2]];
}

/** True when the table point is on (or within `margin` of) any object except `skip`. */
function occupied(objects: readonly PlacedObject[], x: number, y: number, margin: number, skip = -1): boolean {
  return objects.some((o, k) => {
    if (k === skip) return false;
    const c = Math.cos(o.yaw);
    const s = Math.sin(o.yaw);
    const dx = x - o.x;
    const dy = y - o.y;
    return footprintContains(o.proto, c * dx + s * dy, -s * dx + c * dy, margin);
  });
}

/** Pixel rectangle of a grasp at world point `P`, jaws closing along yaw `dir`, with label jitter. */
function pixelRect(cam: Camera, P: Vec3, dir: number, opening: number, plate: number, rng: Rng, jitter: boolean): { rect: GraspRectPoints; length: number } {
  const u: Vec3 = [Math.cos(dir), Math.sin(dir), 0];
  const v: Vec3 = [-u[1], u[0], 0];
  const at = (s: number, w: Vec3, len: number): Point => project(cam, [P[0] + s * w[0] * len, P[1] + s * w[1] * len, P[2]]).px;
  const a = at(-1, u, opening / 2);
  const b = at(1, u, opening / 2);
  let length = Math.hypot(b[0] - a[0], b[1] - a[1]);
  let angle = wrapAngle(Math.atan2(-(b[0] - a[0]), b[1] - a[1]));
  const pa = at(-1, v, plate / 2);
  const pb = at(1, v, plate / 2);
  const width = Math.hypot(pb[0] - pa[0], pb[1] - pa[1]);
  let center = project(cam, P).px;
  if (jitter) {
    // annotators are not exact: ~1 px centre, ~3° angle, ~3 % opening
    center = [center[0] + rng.normal(), center[1] + rng.normal()];
    angle = wrapAngle(angle + (3 * Math.PI * rng.normal()) / 180);
    length *= 1 + 0.03 * rng.normal();
  }
  const rect = rectFromGrasp({ center, angle, length, width }).map((p) => [round2(p[0]), round2(p[1])]) as GraspRectPoints;
  return { rect, length };
}

function round2(x: number): number {
  return parseFloat(x.toFixed(2));
}

/** Angle difference modulo π, in [0, π/2]. */
function axisDiff(a: number, b: number): number {
  return Math.abs(wrapAngle(a - b));
}

/** Positive and negative rectangles of the placed objects. */
function labelGrasps(
  rng: Rng,
  cam: Camera,
  objects: readonly PlacedObject[],
  sc: Vec3,
): { positives: GraspRectPoints[]; negatives: GraspRectPoints[]; perObject: number[] } {
  const positives: GraspRectPoints[] = [];
  const negatives: GraspRectPoints[] = [];
  const perObject = objects.map(() => 0);
  objects.forEach((o, k) => {
    const feasible: LocalGrasp[] = [];
    for (const g of o.proto.grasps) {
      const P = toWorld(o, g.p);
      const dir = o.yaw + g.phi;
      // the jaws (finger centres just outside the opening) must land on free table, not on a neighbour
      const reach = g.opening / 2 + GRIPPER.finger / 2;
      const blocked = [-1, 1].some((s) => occupied(objects, P[0] + s * reach * Math.cos(dir), P[1] + s * reach * Math.sin(dir), 0.004, k));
      if (blocked) continue;
      const { rect, length } = pixelRect(cam, P, dir, g.opening, g.plate, rng, true);
      if (length < 12 || length > 150) continue;
      positives.push(rect);
      feasible.push(g);
      perObject[k]++;
    }
    if (feasible.length === 0) return;
    // negatives: a closing direction no positive allows (jaws would hit the object's long side), or for round
    // objects an opening too small to pass around it
    const nNeg = 1 + rng.int(2);
    for (let j = 0; j < nNeg; j++) {
      const g = rng.pick(feasible);
      const P = toWorld(o, g.p);
      if (o.proto.round) {
        const opening = g.span * rng.uniform(0.35, 0.7);
        negatives.push(pixelRect(cam, P, o.yaw + rng.uniform(0, Math.PI), opening, opening * 0.5, rng, false).rect);
      } else {
        const phi = g.phi + (rng.chance(0.5) ? 1 : -1) * rng.uniform((50 * Math.PI) / 180, Math.PI / 2);
        if (o.proto.grasps.some((h) => axisDiff(h.phi, phi) < Math.PI / 6)) continue;
        negatives.push(pixelRect(cam, P, o.yaw + phi, g.opening, g.plate, rng, false).rect);
      }
    }
  });
  // an empty stretch of table
  if (rng.chance(0.5)) {
    for (let tries = 0; tries < 10; tries++) {
      const x = sc[0] + rng.uniform(-0.12, 0.12);
      const y = sc[1] + rng.uniform(-0.12, 0.12);
      if (occupied(objects, x, y, 0.05)) continue;
      const opening = rng.uniform(0.03, 0.08);
      negatives.push(pixelRect(cam, [x, y, 0], rng.uniform(0, Math.PI), opening, opening / 2, rng, false).rect);
      break;
    }
  }
  return { positives, negatives, perObject };
}

/** Cornell rectangle file text: 4 lines `x y` (col, row) per rectangle. */
export function formatCornellRects(rects: readonly GraspRectPoints[]): string {
  return rects.map((r) => r.map((p) => `${p[1].toFixed(2)} ${p[0].toFixed(2)}`).join('\n')).join('\n') + (rects.length ? '\n' : '');
}

export interface SyntheticManifest {
  generator: 'grasplab-synthetic';
  version: number;
  seed: number;
  count: number;
  scenesPerFolder: number;
  folders: number;
  /** ISO date of generation (informative) */
  created: string;
}

export interface WriteSyntheticOptions {
  count: number;
  seed: number;
  /** called after each scene */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Writes a complete synthetic set into `dir` (created if needed), replacing a previous synthetic set there
 * (only its own `NN/pcdXXXX*` files and manifest are removed), and writes `manifest.json` last, so an
 * interrupted run is never taken for complete.
 */
export async function writeSyntheticDataset(dir: string, opts: WriteSyntheticOptions): Promise<SyntheticManifest> {
  const layout = syntheticLayout(opts.count);
  fs.mkdirSync(dir, { recursive: true });
  removeSyntheticFiles(dir);
  for (let i = 0; i < opts.count; i++) {
    const scene = generateScene(opts.seed, i, opts.count);
    const folder = path.join(dir, scene.folder);
    fs.mkdirSync(folder, { recursive: true });
    const base = path.join(folder, `pcd${String(scene.number).padStart(4, '0')}`);
    await Promise.all([
      fs.promises.writeFile(`${base}d.tiff`, encodeFloat32Tiff(scene.depth)),
      fs.promises.writeFile(`${base}cpos.txt`, formatCornellRects(scene.grasps)),
      fs.promises.writeFile(`${base}cneg.txt`, formatCornellRects(scene.negatives)),
      fs.promises.writeFile(`${base}r.png`, encodeRgbPng(scene.rgb)),
    ]);
    opts.onProgress?.(i + 1, opts.count);
  }
  const manifest: SyntheticManifest = {
    generator: 'grasplab-synthetic',
    version: SYNTHETIC_VERSION,
    seed: opts.seed,
    count: opts.count,
    scenesPerFolder: layout.scenesPerFolder,
    folders: layout.folders,
    created: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

const SYNTH_FILE = /^pcd\d{4}(d\.tiff|cpos\.txt|cneg\.txt|r\.png)$/;

/** Deletes the files a synthetic set consists of (and folders left empty); leaves anything else alone. */
function removeSyntheticFiles(dir: string): void {
  const manifest = path.join(dir, MANIFEST_FILE);
  if (fs.existsSync(manifest)) fs.unlinkSync(manifest);
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!d.isDirectory() || !/^\d{2}$/.test(d.name)) continue;
    const folder = path.join(dir, d.name);
    for (const f of fs.readdirSync(folder)) if (SYNTH_FILE.test(f)) fs.unlinkSync(path.join(folder, f));
    if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
  }
}

/** The manifest of a synthetic set in `dir`, or undefined when absent/unreadable. */
export function readSyntheticManifest(dir: string): SyntheticManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as SyntheticManifest;
    return m.generator === 'grasplab-synthetic' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** True when `dir` holds a complete set of this generator version, seed and size (manifest + every scene's files). */
export function isCompleteSyntheticSet(dir: string, opts: { count: number; seed: number }): boolean {
  const m = readSyntheticManifest(dir);
  if (!m || m.version !== SYNTHETIC_VERSION || m.seed !== opts.seed || m.count !== opts.count) return false;
  const layout = syntheticLayout(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const { folder, number } = sceneName(i, layout);
    const base = path.join(dir, folder, `pcd${String(number).padStart(4, '0')}`);
    if (!fs.existsSync(`${base}d.tiff`) || !fs.existsSync(`${base}cpos.txt`)) return false;
  }
  return true;
}
