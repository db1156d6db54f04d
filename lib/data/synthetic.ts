import * as fs from 'fs';
import * as path from 'path';
import { GraspRectPoints, Point, RawSample } from '../types';
import { ConfigError } from '../errors';
import { Rng } from './random';
import { rectFromGrasp, wrapAngle } from './grasp_rect';
import { footprintContains, GRIPPER, LocalGrasp, makePrototype, ObjectPrototype, randomPrototype, Vec3 } from './synthetic_objects';
import { randomCornellPrototype } from './synthetic_library';
import { Camera, lookAtCamera, makeCamera, opticalAxisOnTable, PlacedObject, pixelOnTable, project, Render, renderScene, sensorDepth, shadeRgb, Table } from './synthetic_render';
import { CORNELL_LIKE, SYNTHETIC_GENERATOR_VERSION, SYNTHETIC_SEED, syntheticConfigName, syntheticFingerprint, type SyntheticConfig } from '../config/synthetic';
import { encodeRgbPng, RgbImage } from './png';
import { encodeFloat32Tiff } from './tiff';

/**
 * grasplab's default dataset: seeded synthetic tabletop depth scenes written in Cornell's on-disk format
 * (`<dir>/NN/pcdXXXXd.tiff` float32 metres 480×640 with sensor holes as 0, `pcdXXXXcpos.txt`, `pcdXXXXcneg.txt`,
 * a shaded `pcdXXXXr.png`), so the Cornell loader reads it.
 *
 * What a scene looks like is set by a `SyntheticConfig` (lib/config/synthetic.ts; default `CORNELL_LIKE`, matched to
 * statistics measured on real Cornell depth with lib/data/depth_stats.ts):
 * - camera 'oblique': a 640×480 depth camera (f 540–600 px) 0.85–1.25 m from the scene, 38–56° from vertical (a
 *   third of the scenes 10–38°), turned ±12° about the vertical and rolled ±4°: the table is a depth ramp of ~1–3 mm
 *   per pixel, as Cornell's (~1.9 mm/px); 'overhead': 0.6–0.8 m above the table, tilted ≤ 8° (the first generator).
 * - background: the table's far and side edges with the floor ~0.75 m below, and a board on the table or a wall
 *   behind it.
 * - objects 'cornell': 1–3 household-like objects, mostly flat (synthetic_library.ts); 'basic': boxes, cylinders,
 *   spheres, bars, L/T shapes, mugs, flat boards (synthetic_objects.ts).
 * - sensor 'kinect': Kinect noise, disparity quantisation and missing pixels (0, inpainted by the loader).
 * - labels 'human': several rectangles per object where Cornell's labellers put them, a labeller's margin on the
 *   opening, a constant gripper plate (Cornell: ~24 px whatever the opening), jitter; 'geometric': plate = half the
 *   opening, exact margins. Jaws that would land on a neighbour, and (oblique camera) grasp centres hidden from the
 *   camera, are dropped. Negatives: wrong angles, too-small openings on round objects, empty table.
 *
 * Object groups: scenes are stored in folders `01`, `02`, … (objectId = folder). Each folder has its own set of
 * object prototypes re-posed in every scene of the folder, so an object-wise split (by folder) validates on
 * objects never seen in training, as Cornell's folders do.
 */

/** Bump when the generator's output changes: `--if-missing` then regenerates (also part of the config fingerprint). */
export const SYNTHETIC_VERSION = SYNTHETIC_GENERATOR_VERSION;
/** The seed of the default set written by `npm run data` (a held-out split of the same generator: another seed). */
export const SYNTHETIC_DEFAULT_SEED = SYNTHETIC_SEED;
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
  /** camera height above the table (m), tilts (overhead: about x and y; oblique: from vertical, and the azimuth) */
  camera: { height: number; tiltXDeg: number; tiltYDeg: number; f: number };
  objects: SyntheticObjectInfo[];
  /** what each pixel sees: k ≥ 0 object `objects[k]`, −1 table, −2 floor, −3 wall or board (not written to disk) */
  labelMap: Int16Array;
  folder: string;
  number: number;
}

/** The object prototypes of one folder (seeded by the dataset seed and folder). */
export function folderPrototypes(seed: number, folder: number, scenesPerFolder: number, library: SyntheticConfig['objects'] = 'basic'): ObjectPrototype[] {
  const rng = new Rng(seed).fork(1_000_000 + folder);
  const n = Math.min(6, Math.max(2, Math.ceil(scenesPerFolder / 5)));
  if (library === 'cornell') return Array.from({ length: n }, () => randomCornellPrototype(rng));
  const protos = Array.from({ length: n }, () => randomPrototype(rng));
  // a large flat board (not graspable) in some folders, used only as clutter
  if (rng.chance(0.4)) protos.push(makePrototype('flat-board', rng));
  return protos;
}

/**
 * Generates scene `index` of a dataset of `count` scenes with seed `seed` (independent of the other scenes).
 * Grasp coordinates are rounded to 0.01 px, as written to the text files.
 */
export function generateScene(seed: number, index: number, count: number, config: SyntheticConfig = CORNELL_LIKE): SyntheticScene {
  const layout = syntheticLayout(count);
  if (!(Number.isInteger(index) && index >= 0 && index < count)) throw new ConfigError(`scene index ${index} outside [0, ${count})`);
  const name = sceneName(index, layout);
  const folderIndex = Math.floor(index / layout.scenesPerFolder) + 1;
  const protos = folderPrototypes(seed, folderIndex, layout.scenesPerFolder, config.objects);
  const rng = new Rng(seed).fork(index);

  const view = config.camera === 'oblique' ? obliqueView(rng, config.viewTilt ?? 'mixed') : overheadView(rng);
  const { cam, sc } = view;
  const table = config.background ? tableWithBackground(rng, sc) : config.camera === 'oblique' ? endlessTable(rng) : randomTable(rng, sc);
  const human = config.labels === 'human';

  for (let attempt = 0; ; attempt++) {
    const placed = placeObjects(rng, protos, sc, attempt >= 5, config.objects === 'cornell');
    const render = renderScene(cam, table, placed);
    const { positives, negatives, perObject } = labelGrasps(rng, cam, placed, sc, { human, visibility: config.camera === 'oblique' ? render : undefined });
    if (positives.length === 0 && attempt < 20) continue; // every scene needs a positive (the crop centres on them)
    const depth = config.sensor === 'clean' ? render.dist.slice() : sensorDepth(render, cam, rng, config.sensor === 'kinect' ? 'correlated' : 'white');
    const rgb = shadeRgb(render, table, placed, rng);
    return {
      id: name.id,
      objectId: name.folder,
      depth: { height: cam.height, width: cam.width, data: depth },
      grasps: positives,
      negatives,
      rgb,
      camera: view.info,
      objects: placed.map((o, k) => ({ shape: o.proto.shape, x: o.x, y: o.y, yaw: o.yaw, prototype: protos.indexOf(o.proto), positives: perObject[k] })),
      labelMap: render.label,
      folder: name.folder,
      number: name.number,
    };
  }
}

interface View {
  cam: Camera;
  /** scene centre on the table, where the first object goes */
  sc: Vec3;
  info: SyntheticScene['camera'];
}

/** The first generator's camera: 0.6–0.8 m above the table, tilted up to 8° about each image axis. */
function overheadView(rng: Rng): View {
  const camH = rng.uniform(0.6, 0.8);
  const tiltX = (rng.uniform(-8, 8) * Math.PI) / 180;
  const tiltY = (rng.uniform(-8, 8) * Math.PI) / 180;
  const cam = makeCamera(camH, tiltX, tiltY);
  const centre = opticalAxisOnTable(cam);
  const sc: Vec3 = [centre[0] + rng.uniform(-0.03, 0.03), centre[1] + rng.uniform(-0.03, 0.03), 0];
  return { cam, sc, info: { height: camH, tiltXDeg: (tiltX * 180) / Math.PI, tiltYDeg: (tiltY * 180) / Math.PI, f: cam.f } };
}

/**
 * Cornell's view: the camera 0.85–1.25 m from the table point it looks at, 38–56° from vertical (Cornell's crops
 * show a ramp of ~1.9 mm per image row: about 47° at 1.04 m), turned about the vertical and rolled a little, f
 * 540–600 px; the objects stand where the ray of a pixel around the image centre meets the table.
 */
function obliqueView(rng: Rng, viewTilt: 'mixed' | 'cornell'): View {
  const deg = Math.PI / 180;
  const dist = rng.uniform(0.85, 1.25);
  // 'mixed': two thirds at Cornell's angle, a third flatter (10–38°), randomisation meant to keep the ramp from being
  // the one cue the network learns first (at 38–56° only, a zero-bias GG-CNN scored 0 % on synthetic and real
  // validation after 200 steps of batch 8, its quality map a band along the crop's mean depth). 'cornell': all at
  // 38–56°, drawing the same numbers (the coin is still tossed) so a view that was steep anyway gives the same scene.
  const steep = rng.chance(2 / 3) || viewTilt === 'cornell';
  const tilt = (steep ? rng.uniform(38, 56) : rng.uniform(10, 38)) * deg;
  const azimuth = rng.uniform(-12, 12) * deg;
  const roll = rng.uniform(-4, 4) * deg;
  const f = rng.uniform(540, 600);
  const eye: Vec3 = [-dist * Math.sin(tilt) * Math.sin(azimuth), -dist * Math.sin(tilt) * Math.cos(azimuth), dist * Math.cos(tilt)];
  const cam = lookAtCamera(eye, [0, 0, 0], roll, f, [rng.uniform(-8, 8), rng.uniform(-8, 8)]);
  const sc = pixelOnTable(cam, [rng.uniform(200, 360), rng.uniform(150, 450)]) ?? [0, 0, 0];
  return { cam, sc, info: { height: eye[2], tiltXDeg: tilt / deg, tiltYDeg: azimuth / deg, f } };
}

/** A table wider than any view (no edge, no floor in sight). */
function endlessTable(rng: Rng): Table {
  const shade = rng.uniform(0.55, 0.9);
  return { x0: -5, x1: 5, y0: -5, y1: 5, floorZ: -0.75, color: [shade, shade, shade] };
}

/**
 * The table's side edges 0.3–0.9 m and far edge 0.4–0.9 m from the scene (the floor 0.7–0.8 m below shows beyond them, ~2 m
 * from the camera as in Cornell), a board standing on the table's far edge (Cornell's white board; half the
 * scenes) and a room wall 0.3–1 m behind the table (most scenes).
 */
function tableWithBackground(rng: Rng, sc: Vec3): Table {
  const shade = rng.uniform(0.7, 0.95);
  const x0 = sc[0] - rng.uniform(0.3, 0.9);
  const x1 = sc[0] + rng.uniform(0.3, 0.9);
  const y1 = sc[1] + rng.uniform(0.4, 0.9);
  const floorZ = -rng.uniform(0.7, 0.8);
  const walls: NonNullable<Table['walls']> = [];
  if (rng.chance(0.5)) walls.push({ y: y1 - rng.uniform(0, 0.05), x0: sc[0] - rng.uniform(0.1, 0.5), x1: sc[0] + rng.uniform(0.1, 0.5), z0: 0, z1: rng.uniform(0.15, 0.5) });
  if (rng.chance(0.8)) walls.push({ y: y1 + rng.uniform(0.3, 1), x0: -10, x1: 10, z0: floorZ, z1: 3 });
  return { x0, x1, y0: sc[1] - 3, y1, floorZ, color: [shade, shade, shade * rng.uniform(0.95, 1)], walls };
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

/**
 * Non-overlapping footprints; the first object is always graspable. Basic library: 1 object (45 %), 2 (35 %) or 3
 * (20 %); Cornell-like: 1 (35 %), 2 (25 %), 3 (25 %) or 4 (15 %) within 24 cm. Cornell's images mostly hold one
 * object, but with one object at the crop's centre (the crop centres on the rectangles) a network trained for a few
 * hundred steps learned only the crop's mean depth level (the ramp crosses it at the centre) instead of objects;
 * labelled objects spread over the crop, at different depth levels along the ramp, leave it no such shortcut.
 */
function placeObjects(rng: Rng, protos: ObjectPrototype[], sc: Vec3, single: boolean, cornell = false): PlacedObject[] {
  const graspable = protos.filter((p) => p.grasps.length > 0);
  const u = rng.next();
  const n = single ? 1 : cornell ? (u < 0.35 ? 1 : u < 0.6 ? 2 : u < 0.85 ? 3 : 4) : u < 0.45 ? 1 : u < 0.8 ? 2 : 3;
  const placed: PlacedObject[] = [];
  for (let k = 0; k < n; k++) {
    const proto = k === 0 ? rng.pick(graspable) : rng.pick(protos);
    const spread = k === 0 ? (cornell ? 0.02 : 0.04) : cornell ? 0.24 : 0.13;
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
function pixelRect(cam: Camera, P: Vec3, dir: number, opening: number, plate: number, rng: Rng, jitter: boolean | 'human'): { rect: GraspRectPoints; length: number } {
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
    // annotators are not exact: ~1 px centre, ~3° angle, ~3 % opening ('human': Cornell's rectangles are rougher)
    const k = jitter === 'human' ? 1.8 : 1;
    center = [center[0] + k * rng.normal(), center[1] + k * rng.normal()];
    angle = wrapAngle(angle + (k * 3 * Math.PI * rng.normal()) / 180);
    length *= 1 + k * 0.03 * rng.normal();
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

/** Cornell's labellers: at most this many rectangles per object (Cornell: 1–8, median 4). */
const HUMAN_MAX_PER_OBJECT = 8;

/**
 * Positive and negative rectangles of the placed objects. `human`: Cornell-like labels (a labeller's margin of
 * 1.2–3 cm on each side of the part grasped, one plate size for the scene, at most 8 rectangles per object, rougher
 * jitter). Grasps whose centre falls outside the image are dropped; `visibility`: also those whose centre the camera
 * does not see on the object (oblique views).
 */
function labelGrasps(
  rng: Rng,
  cam: Camera,
  objects: readonly PlacedObject[],
  sc: Vec3,
  opts: { human?: boolean; visibility?: Render } = {},
): { positives: GraspRectPoints[]; negatives: GraspRectPoints[]; perObject: number[] } {
  const positives: GraspRectPoints[] = [];
  const negatives: GraspRectPoints[] = [];
  const perObject = objects.map(() => 0);
  const scenePlate = opts.human ? rng.uniform(0.035, 0.055) : 0;
  const visible = (P: Vec3, k: number): boolean => {
    const { px } = project(cam, [P[0], P[1], P[2] - 0.002]);
    const row = Math.round(px[0]);
    const col = Math.round(px[1]);
    // outside the frame no labeller sees it (an overhead view with the Cornell-like library's spread placed objects
    // beyond the image); oblique views also need the object itself, not an occluder, at that pixel
    if (!(row >= 0 && row < cam.height && col >= 0 && col < cam.width)) return false;
    const r = opts.visibility;
    return !r || r.label[row * r.width + col] === k;
  };
  objects.forEach((o, k) => {
    const feasible: LocalGrasp[] = [];
    let candidates = o.proto.grasps;
    if (opts.human && candidates.length > HUMAN_MAX_PER_OBJECT) candidates = rng.shuffle(candidates.slice()).slice(0, HUMAN_MAX_PER_OBJECT);
    for (const g0 of candidates) {
      const g = opts.human ? { ...g0, opening: g0.span + 2 * rng.uniform(0.012, 0.03), plate: scenePlate * rng.uniform(0.85, 1.15) } : g0;
      const P = toWorld(o, g.p);
      const dir = o.yaw + g.phi;
      // the jaws (finger centres just outside the opening) must land on free table, not on a neighbour
      const reach = g.opening / 2 + GRIPPER.finger / 2;
      const blocked = [-1, 1].some((s) => occupied(objects, P[0] + s * reach * Math.cos(dir), P[1] + s * reach * Math.sin(dir), 0.004, k));
      if (blocked || !visible(P, k)) continue;
      // Cornell's labellers drew on the image over the object's silhouette; in an oblique view that spans the top and
      // the side facing the camera, so human labels sit at half the part's height (geometric ones on its top)
      const at: Vec3 = opts.human ? [P[0], P[1], P[2] / 2] : P;
      const { rect, length } = pixelRect(cam, at, dir, g.opening, g.plate, rng, opts.human ? 'human' : true);
      if (length < (opts.human ? 9 : 12) || length > 150) continue;
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
  /** the generator configuration, its preset name and fingerprint (absent in version-1 sets) */
  config?: SyntheticConfig;
  configName?: string;
  fingerprint?: string;
  scenesPerFolder: number;
  folders: number;
  /** ISO date of generation (informative) */
  created: string;
}

export interface WriteSyntheticOptions {
  count: number;
  /** a different seed gives independent scenes and objects (e.g. a held-out test split of the same generator) */
  seed: number;
  /** generator configuration (default `CORNELL_LIKE`) */
  config?: SyntheticConfig;
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
  const config = opts.config ?? CORNELL_LIKE;
  fs.mkdirSync(dir, { recursive: true });
  removeSyntheticFiles(dir);
  for (let i = 0; i < opts.count; i++) {
    const scene = generateScene(opts.seed, i, opts.count, config);
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
    config,
    configName: syntheticConfigName(config),
    fingerprint: syntheticFingerprint(config),
    created: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/**
 * Writes the set unless `dir` already holds a complete one of this size, seed and configuration; true when it wrote.
 * A held-out split of the same generator is another seed, e.g.
 * `ensureSyntheticSet(path.join(root, syntheticSetName(config, 7001, 500)), { count: 500, seed: 7001, config })`.
 */
export async function ensureSyntheticSet(dir: string, opts: WriteSyntheticOptions): Promise<boolean> {
  if (isCompleteSyntheticSet(dir, opts)) return false;
  await writeSyntheticDataset(dir, opts);
  return true;
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

/**
 * True when `dir` holds a complete set of this generator version, configuration (default `CORNELL_LIKE`), seed and
 * size (manifest + every scene's files).
 */
export function isCompleteSyntheticSet(dir: string, opts: { count: number; seed: number; config?: SyntheticConfig }): boolean {
  const m = readSyntheticManifest(dir);
  if (!m || m.version !== SYNTHETIC_VERSION || m.seed !== opts.seed || m.count !== opts.count) return false;
  if (m.fingerprint !== syntheticFingerprint(opts.config ?? CORNELL_LIKE)) return false;
  const layout = syntheticLayout(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const { folder, number } = sceneName(i, layout);
    const base = path.join(dir, folder, `pcd${String(number).padStart(4, '0')}`);
    if (!fs.existsSync(`${base}d.tiff`) || !fs.existsSync(`${base}cpos.txt`)) return false;
  }
  return true;
}
