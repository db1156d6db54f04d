import { Point } from '../types';
import { Rng } from './random';
import { ObjectPrototype, Primitive, Vec3 } from './synthetic_objects';
import { RgbImage } from './png';

/**
 * Renders synthetic tabletop scenes the way a Kinect-class depth sensor sees them: ray casting through a
 * pinhole camera, then the sensor's depth-dependent noise, disparity quantisation and missing pixels
 * (projector shadows beside objects, grazing surfaces, depth edges, random blobs, the left border band).
 * World frame: table plane z = 0, z up, metres.
 */

/** Pinhole camera (Kinect v1 / Xtion-like: 640×480, f ≈ 580 px). */
export interface Camera {
  width: number;
  height: number;
  /** focal length in pixels */
  f: number;
  /** principal point `[row, col]` */
  cy: number;
  cx: number;
  /** optical centre in the world (m) */
  pos: Vec3;
  /** camera→world rotation, row-major 3×3; camera axes: x = image columns, y = image rows, z = optical axis */
  R: number[];
}

export interface PlacedObject {
  proto: ObjectPrototype;
  /** position of the object frame's origin on the table (m) and its yaw (rad) */
  x: number;
  y: number;
  yaw: number;
}

/** Axis-aligned table top (z = 0) over a floor at `floorZ`, optionally a vertical wall or board beyond it. */
export interface Table {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  floorZ: number;
  color: Vec3;
  /** vertical planes y = `y` facing the camera, over x ∈ [x0, x1], z ∈ [z0, z1] (a board on the table, a room wall) */
  walls?: { y: number; x0: number; x1: number; z0: number; z1: number }[];
}

/** Ray-cast result per pixel (row-major H×W). */
export interface Render {
  width: number;
  height: number;
  /** Euclidean distance from the optical centre to the surface (m): the value Cornell's depth images hold */
  dist: Float32Array;
  /** depth along the optical axis (m), what the sensor actually measures */
  z: Float32Array;
  /** world normal of the surface hit */
  nx: Float32Array;
  ny: Float32Array;
  nz: Float32Array;
  /** |cos| of the angle between the ray and the surface normal */
  cosIncidence: Float32Array;
  /** −3 wall, −2 floor, −1 table, i ≥ 0 the index of the object hit */
  label: Int16Array;
}

/** Kinect baseline between IR projector and camera (m), for shadows and disparity quantisation. */
export const SENSOR_BASELINE = 0.075;
/** Farthest depth a Kinect-class sensor returns (m); farther pixels are missing. */
export const SENSOR_MAX_RANGE = 3.5;

/** Camera `height` m above the world origin looking down, tilted by `tiltX`, `tiltY` (rad) about its own axes. */
export function makeCamera(height: number, tiltX: number, tiltY: number, f = 580, width = 640, imgHeight = 480): Camera {
  // looking straight down: image columns = +x, image rows = −y, optical axis = −z
  const R0 = [1, 0, 0, 0, -1, 0, 0, 0, -1];
  const cx = Math.cos(tiltX);
  const sx = Math.sin(tiltX);
  const cyy = Math.cos(tiltY);
  const sy = Math.sin(tiltY);
  const Rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const Ry = [cyy, 0, sy, 0, 1, 0, -sy, 0, cyy];
  return { width, height: imgHeight, f, cx: (width - 1) / 2, cy: (imgHeight - 1) / 2, pos: [0, 0, height], R: matMul(matMul(R0, Rx), Ry) };
}

/**
 * A camera at `eye` looking at `target` (world points), image rows pointing down the world's vertical as seen by
 * the camera, then turned by `roll` (rad) about its optical axis; principal point shifted by `principalOffset`
 * `[rows, cols]` pixels from the image centre.
 */
export function lookAtCamera(eye: Vec3, target: Vec3, roll: number, f = 580, principalOffset: [number, number] = [0, 0], width = 640, imgHeight = 480): Camera {
  const z = normalise([target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]]);
  let x = normalise(cross(z, [0, 0, 1]));
  let y = cross(z, x);
  const c = Math.cos(roll);
  const s = Math.sin(roll);
  [x, y] = [
    [c * x[0] + s * y[0], c * x[1] + s * y[1], c * x[2] + s * y[2]],
    [-s * x[0] + c * y[0], -s * x[1] + c * y[1], -s * x[2] + c * y[2]],
  ];
  return {
    width,
    height: imgHeight,
    f,
    cx: (width - 1) / 2 + principalOffset[1],
    cy: (imgHeight - 1) / 2 + principalOffset[0],
    pos: [eye[0], eye[1], eye[2]],
    R: [x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]],
  };
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalise(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** World point where the ray through pixel `[row, col]` meets the table plane z = 0 (undefined if it does not). */
export function pixelOnTable(cam: Camera, px: [number, number]): Vec3 | undefined {
  const a = (px[1] - cam.cx) / cam.f;
  const b = (px[0] - cam.cy) / cam.f;
  const R = cam.R;
  const dx = R[0] * a + R[1] * b + R[2];
  const dy = R[3] * a + R[4] * b + R[5];
  const dz = R[6] * a + R[7] * b + R[8];
  if (dz >= 0) return undefined;
  const t = -cam.pos[2] / dz;
  return [cam.pos[0] + t * dx, cam.pos[1] + t * dy, 0];
}

function matMul(a: number[], b: number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[3 * i + j] += a[3 * i + k] * b[3 * k + j];
  return o;
}

/** World point → `[row, col]` pixel and its depth along the optical axis. */
export function project(cam: Camera, p: Vec3): { px: Point; z: number } {
  const d = [p[0] - cam.pos[0], p[1] - cam.pos[1], p[2] - cam.pos[2]];
  const R = cam.R;
  // camera coordinates = Rᵀ d
  const xc = R[0] * d[0] + R[3] * d[1] + R[6] * d[2];
  const yc = R[1] * d[0] + R[4] * d[1] + R[7] * d[2];
  const zc = R[2] * d[0] + R[5] * d[1] + R[8] * d[2];
  return { px: [cam.cy + (cam.f * yc) / zc, cam.cx + (cam.f * xc) / zc], z: zc };
}

/** Where the optical axis meets the table plane. */
export function opticalAxisOnTable(cam: Camera): Vec3 {
  const dz = cam.R[8];
  const t = -cam.pos[2] / dz;
  return [cam.pos[0] + t * cam.R[2], cam.pos[1] + t * cam.R[5], 0];
}

/** Ray casts the scene: every pixel hits the floor, the table or an object. */
export function renderScene(cam: Camera, table: Table, objects: readonly PlacedObject[]): Render {
  const W = cam.width;
  const H = cam.height;
  const N = W * H;
  const r: Render = {
    width: W,
    height: H,
    dist: new Float32Array(N),
    z: new Float32Array(N),
    nx: new Float32Array(N),
    ny: new Float32Array(N),
    nz: new Float32Array(N),
    cosIncidence: new Float32Array(N),
    label: new Int16Array(N),
  };
  const R = cam.R;
  const [ox, oy, oz] = cam.pos;
  const { dist, nz, cosIncidence, label } = r; // locals: much faster than r.x[i] in hot loops
  const dirs = new Float32Array(3 * N);
  const { x0, x1, y0, y1, floorZ } = table;
  const walls = table.walls ?? [];
  for (let row = 0; row < H; row++) {
    const b = (row - cam.cy) / cam.f;
    for (let col = 0; col < W; col++) {
      const a = (col - cam.cx) / cam.f;
      let dx = R[0] * a + R[1] * b + R[2];
      let dy = R[3] * a + R[4] * b + R[5];
      let dz = R[6] * a + R[7] * b + R[8];
      const n = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz); // (Math.hypot is several times slower in V8)
      dx *= n;
      dy *= n;
      dz *= n;
      const i = row * W + col;
      dirs[3 * i] = dx;
      dirs[3 * i + 1] = dy;
      dirs[3 * i + 2] = dz;
      // table top, else floor (every ray points down: the camera looks down at ≤ 60° from vertical), unless the wall
      // is nearer
      let t = -oz / dz;
      const hx = ox + t * dx;
      const hy = oy + t * dy;
      if (hx >= x0 && hx <= x1 && hy >= y0 && hy <= y1) {
        label[i] = -1;
      } else {
        t = (floorZ - oz) / dz;
        label[i] = -2;
      }
      nz[i] = 1;
      cosIncidence[i] = -dz;
      for (const wall of walls) {
        if (dy <= 1e-9) break;
        const tw = (wall.y - oy) / dy;
        const wz = oz + tw * dz;
        const wx = ox + tw * dx;
        if (tw > 0 && tw < t && wz >= wall.z0 && wz <= wall.z1 && wx >= wall.x0 && wx <= wall.x1) {
          t = tw;
          label[i] = -3;
          nz[i] = 0;
          r.ny[i] = -1;
          cosIncidence[i] = dy;
        }
      }
      dist[i] = t;
    }
  }
  objects.forEach((obj, k) => castObject(cam, obj, k, dirs, r));
  // axial depth = distance × cos(angle to the optical axis)
  const z = r.z;
  for (let i = 0; i < N; i++) z[i] = dist[i] * (dirs[3 * i] * R[2] + dirs[3 * i + 1] * R[5] + dirs[3 * i + 2] * R[8]);
  return r;
}

/** Intersects the rays inside an object's projected bounding box with its primitives (nearest hit wins). */
function castObject(cam: Camera, obj: PlacedObject, index: number, dirs: Float32Array, r: Render): void {
  const { proto } = obj;
  // projected bounding box of the object's bounding cylinder
  let r0 = Infinity;
  let r1 = -Infinity;
  let c0 = Infinity;
  let c1 = -Infinity;
  for (let k = 0; k < 32; k++) {
    const a = (k / 8) * Math.PI;
    const z = k < 16 ? 0 : proto.height;
    {
      const { px } = project(cam, [obj.x + proto.radius * Math.cos(a) * 1.09, obj.y + proto.radius * Math.sin(a) * 1.09, z]);
      r0 = Math.min(r0, px[0]);
      r1 = Math.max(r1, px[0]);
      c0 = Math.min(c0, px[1]);
      c1 = Math.max(c1, px[1]);
    }
  }
  const W = cam.width;
  const rowLo = Math.max(0, Math.floor(r0) - 2);
  const rowHi = Math.min(cam.height - 1, Math.ceil(r1) + 2);
  const colLo = Math.max(0, Math.floor(c0) - 2);
  const colHi = Math.min(W - 1, Math.ceil(c1) + 2);
  const cy = Math.cos(obj.yaw);
  const sy = Math.sin(obj.yaw);
  // ray origin in the object frame
  const px = cam.pos[0] - obj.x;
  const py = cam.pos[1] - obj.y;
  const o: Vec3 = [cy * px + sy * py, -sy * px + cy * py, cam.pos[2]];
  const d: Vec3 = [0, 0, 0];
  const hit = { t: 0, n: [0, 0, 0] as Vec3 };
  for (let row = rowLo; row <= rowHi; row++) {
    for (let col = colLo; col <= colHi; col++) {
      const i = row * W + col;
      const wx = dirs[3 * i];
      const wy = dirs[3 * i + 1];
      d[0] = cy * wx + sy * wy;
      d[1] = -sy * wx + cy * wy;
      d[2] = dirs[3 * i + 2];
      let best = r.dist[i];
      let found = false;
      let nlx = 0;
      let nly = 0;
      let nlz = 0;
      for (const prim of proto.prims) {
        if (intersect(prim, o, d, hit) && hit.t < best) {
          best = hit.t;
          found = true;
          nlx = hit.n[0];
          nly = hit.n[1];
          nlz = hit.n[2];
        }
      }
      if (!found) continue;
      r.dist[i] = best;
      // normal back to the world frame
      const nx = cy * nlx - sy * nly;
      const ny = sy * nlx + cy * nly;
      r.nx[i] = nx;
      r.ny[i] = ny;
      r.nz[i] = nlz;
      r.cosIncidence[i] = Math.abs(nx * wx + ny * wy + nlz * d[2]);
      r.label[i] = index;
    }
  }
}

/** Nearest positive ray parameter and the normal there (object frame). */
function intersect(p: Primitive, o: Vec3, d: Vec3, out: { t: number; n: Vec3 }): boolean {
  if (p.kind === 'box' && p.yaw) {
    // turn the ray into the box's frame (about its centre), intersect the axis-aligned box, turn the normal back
    const c = Math.cos(p.yaw);
    const s = Math.sin(p.yaw);
    const ox = o[0] - p.c[0];
    const oy = o[1] - p.c[1];
    const ol: Vec3 = [c * ox + s * oy, -s * ox + c * oy, o[2] - p.c[2]];
    const dl: Vec3 = [c * d[0] + s * d[1], -s * d[0] + c * d[1], d[2]];
    if (!intersect({ kind: 'box', c: [0, 0, 0], h: p.h }, ol, dl, out)) return false;
    const nx = out.n[0];
    const ny = out.n[1];
    out.n[0] = c * nx - s * ny;
    out.n[1] = s * nx + c * ny;
    return true;
  }
  if (p.kind === 'ellipsoid') {
    // unit sphere in scaled coordinates: t is unchanged by the scaling
    const ox = (o[0] - p.c[0]) / p.r[0];
    const oy = (o[1] - p.c[1]) / p.r[1];
    const oz = (o[2] - p.c[2]) / p.r[2];
    const dx = d[0] / p.r[0];
    const dy = d[1] / p.r[1];
    const dz = d[2] / p.r[2];
    const A = dx * dx + dy * dy + dz * dz;
    const B = ox * dx + oy * dy + oz * dz;
    const C = ox * ox + oy * oy + oz * oz - 1;
    const disc = B * B - A * C;
    if (disc < 0) return false;
    const t = (-B - Math.sqrt(disc)) / A;
    if (t <= 0) return false;
    const nx = (ox + t * dx) / p.r[0];
    const ny = (oy + t * dy) / p.r[1];
    const nz = (oz + t * dz) / p.r[2];
    const n = Math.hypot(nx, ny, nz);
    out.t = t;
    out.n[0] = nx / n;
    out.n[1] = ny / n;
    out.n[2] = nz / n;
    return true;
  }
  if (p.kind === 'box') {
    let tmin = -Infinity;
    let tmax = Infinity;
    let axis = -1;
    for (let a = 0; a < 3; a++) {
      const lo = p.c[a] - p.h[a];
      const hi = p.c[a] + p.h[a];
      if (Math.abs(d[a]) < 1e-12) {
        if (o[a] < lo || o[a] > hi) return false;
        continue;
      }
      const t1 = (lo - o[a]) / d[a];
      const t2 = (hi - o[a]) / d[a];
      const tn = Math.min(t1, t2);
      const tf = Math.max(t1, t2);
      if (tn > tmin) {
        tmin = tn;
        axis = a;
      }
      if (tf < tmax) tmax = tf;
    }
    if (tmax < tmin || tmin <= 0 || axis < 0) return false;
    out.t = tmin;
    out.n[0] = out.n[1] = out.n[2] = 0;
    out.n[axis] = d[axis] > 0 ? -1 : 1;
    return true;
  }
  if (p.kind === 'sphere') {
    const ox = o[0] - p.c[0];
    const oy = o[1] - p.c[1];
    const oz = o[2] - p.c[2];
    const b = ox * d[0] + oy * d[1] + oz * d[2];
    const c = ox * ox + oy * oy + oz * oz - p.r * p.r;
    const disc = b * b - c;
    if (disc < 0) return false;
    const t = -b - Math.sqrt(disc);
    if (t <= 0) return false;
    out.t = t;
    out.n[0] = (ox + t * d[0]) / p.r;
    out.n[1] = (oy + t * d[1]) / p.r;
    out.n[2] = (oz + t * d[2]) / p.r;
    return true;
  }
  // cylinder along `axis`, the two other axes u, v span its cross-section
  const a = p.axis;
  const u = a === 0 ? 1 : 0;
  const v = a === 2 ? 1 : 2;
  const ou = o[u] - p.c[u];
  const ov = o[v] - p.c[v];
  const oa = o[a] - p.c[a];
  let best = Infinity;
  const A = d[u] * d[u] + d[v] * d[v];
  if (A > 1e-12) {
    const B = ou * d[u] + ov * d[v];
    const C = ou * ou + ov * ov - p.r * p.r;
    const disc = B * B - A * C;
    if (disc >= 0) {
      const t = (-B - Math.sqrt(disc)) / A;
      if (t > 0 && Math.abs(oa + t * d[a]) <= p.hl) {
        best = t;
        out.n[a] = 0;
        out.n[u] = (ou + t * d[u]) / p.r;
        out.n[v] = (ov + t * d[v]) / p.r;
      }
    }
  }
  if (Math.abs(d[a]) > 1e-12) {
    for (let s = -1; s <= 1; s += 2) {
      const t = (s * p.hl - oa) / d[a];
      if (t <= 0 || t >= best) continue;
      const pu = ou + t * d[u];
      const pv = ov + t * d[v];
      if (pu * pu + pv * pv <= p.r * p.r) {
        best = t;
        out.n[a] = s;
        out.n[u] = 0;
        out.n[v] = 0;
      }
    }
  }
  if (best === Infinity) return false;
  out.t = best;
  return true;
}

/**
 * The sensor's view of a render: depth-dependent Gaussian noise σ(z) = 1.2 mm + 1.9 mm·(z − 0.4)² (Kinect
 * axial noise model of Nguyen et al. 2012), 1/8-pixel disparity quantisation, and missing pixels (0):
 * projector shadows, grazing surfaces, depth discontinuities, random blobs, salt, the left border band.
 * @returns Euclidean distance in metres (like Cornell's depth), 0 where missing
 */
export function sensorDepth(render: Render, cam: Camera, rng: Rng, noise: 'white' | 'correlated' = 'white'): Float32Array {
  const { width: W, height: H, dist, z, cosIncidence, label } = render;
  const N = W * H;
  const out = new Float32Array(N);
  // standard normal draws from a table refreshed per image (Box–Muller per pixel costs more than the rest)
  const gauss = new Float32Array(4096);
  for (let k = 0; k < gauss.length; k++) gauss[k] = rng.normal();
  if (noise === 'white') {
    const fb8 = 8 * cam.f * SENSOR_BASELINE; // disparity in 1/8 px = fb8 / z
    for (let i = 0; i < N; i++) {
      const zi = z[i];
      const s = 0.0012 + 0.0019 * (zi - 0.4) * (zi - 0.4);
      const zn = zi + s * gauss[rng.nextUint32() & 4095];
      const zq = fb8 / Math.round(fb8 / zn);
      out[i] = (dist[i] * zq) / zi;
    }
  } else {
    correlatedNoise(render, rng, gauss, out);
  }
  const drop = (i: number) => (out[i] = 0);
  // beyond the sensor's range (~3.5 m) there is no depth
  for (let i = 0; i < N; i++) if (z[i] > SENSOR_MAX_RANGE) drop(i);

  // projector shadows: a pixel is unlit when a nearer surface to its right sits on the same projector ray
  // (projector column c − f·b/z); scanning right to left, keep the smallest projector column seen so far
  const fb = cam.f * SENSOR_BASELINE;
  for (let row = 0; row < H; row++) {
    let minProj = Infinity;
    for (let col = W - 1; col >= 0; col--) {
      const i = row * W + col;
      const cp = col - fb / z[i];
      if (minProj < cp - 0.5) drop(i);
      if (cp < minProj) minProj = cp;
    }
  }
  for (let i = 0; i < N; i++) {
    // grazing surfaces return no IR pattern
    const c = cosIncidence[i];
    if (c < 0.25 && rng.next() < 0.9 * (1 - c / 0.25)) drop(i);
    // flicker at depth discontinuities
    const col = i % W;
    if (col + 1 < W && Math.abs(z[i] - z[i + 1]) > 0.01 && rng.next() < 0.4) drop(rng.next() < 0.5 ? i : i + 1);
    if (i + W < N && Math.abs(z[i] - z[i + W]) > 0.01 && rng.next() < 0.4) drop(rng.next() < 0.5 ? i : i + W);
  }
  // isolated dropouts
  for (let k = Math.round(N * 0.0008); k > 0; k--) drop(rng.int(N));
  // blobs (specular or dark patches), half of them on objects
  const objectPixels: number[] = [];
  for (let i = 0; i < N; i += 7) if (label[i] >= 0) objectPixels.push(i);
  const blobs = rng.int(4);
  for (let b = 0; b < blobs; b++) {
    const at = objectPixels.length > 0 && rng.chance(0.5) ? rng.pick(objectPixels) : rng.int(N);
    const br = Math.floor(at / W);
    const bc = at % W;
    const ra = rng.uniform(2, 10);
    const rb = rng.uniform(2, 10);
    const th = rng.uniform(0, Math.PI);
    const ct = Math.cos(th);
    const st = Math.sin(th);
    const ext = Math.ceil(Math.max(ra, rb));
    for (let r = Math.max(0, br - ext); r <= Math.min(H - 1, br + ext); r++) {
      for (let c = Math.max(0, bc - ext); c <= Math.min(W - 1, bc + ext); c++) {
        const u = (c - bc) * ct + (r - br) * st;
        const v = -(c - bc) * st + (r - br) * ct;
        if ((u * u) / (ra * ra) + (v * v) / (rb * rb) <= 1) drop(r * W + c);
      }
    }
  }
  // the band on the left border where the projector pattern does not reach
  const band = rng.int(9);
  for (let row = 0; row < H; row++) for (let col = 0; col < band; col++) drop(row * W + col);
  return out;
}

/**
 * Spatially correlated depth noise, as real Cornell depth shows it (its table residual has its power below ~1/16
 * cycle per pixel and almost none above: the Kinect estimates disparity over a correlation window, so neighbouring
 * pixels share their error, and no quantisation staircase survives): a coarse Gaussian field on a 6–12 px grid,
 * bilinearly interpolated, σ 0.7–1.6 mm at 1 m growing with z², plus 0.3–0.6 mm of white noise. Writes Euclidean
 * distance (m) into `out`.
 */
function correlatedNoise(render: Render, rng: Rng, gauss: Float32Array, out: Float32Array): void {
  const { width: W, height: H, dist, z } = render;
  const g = rng.uniform(6, 12);
  const sc = rng.uniform(0.0007, 0.0016);
  const sw = rng.uniform(0.0003, 0.0006);
  const gw = Math.ceil(W / g) + 2;
  const gh = Math.ceil(H / g) + 2;
  const field = new Float32Array(gw * gh);
  for (let k = 0; k < field.length; k++) field[k] = rng.normal();
  for (let row = 0; row < H; row++) {
    const fy = row / g;
    const y0 = Math.floor(fy);
    const ty = fy - y0;
    for (let col = 0; col < W; col++) {
      const fx = col / g;
      const x0 = Math.floor(fx);
      const tx = fx - x0;
      const a = field[y0 * gw + x0];
      const b = field[y0 * gw + x0 + 1];
      const c = field[(y0 + 1) * gw + x0];
      const d = field[(y0 + 1) * gw + x0 + 1];
      const smooth = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
      const i = row * W + col;
      const zi = z[i];
      const zn = zi + sc * zi * zi * smooth + sw * gauss[rng.nextUint32() & 4095];
      out[i] = (dist[i] * zn) / zi;
    }
  }
}

/** A shaded colour image of the render (Lambertian, one light), for display. */
export function shadeRgb(render: Render, table: Table, objects: readonly PlacedObject[], rng: Rng): RgbImage {
  const { width: W, height: H } = render;
  const data = new Uint8Array(W * H * 3);
  let lx = rng.uniform(-0.5, 0.5);
  let ly = rng.uniform(-0.5, 0.5);
  let lz = 1;
  const ln = Math.hypot(lx, ly, lz);
  lx /= ln;
  ly /= ln;
  lz /= ln;
  const floor: Vec3 = [0.3, 0.3, 0.32];
  const wallColor: Vec3 = [0.88, 0.88, 0.86];
  // faint wood grain on the table: a per-column wave, bent a little from row to row
  const grain = rng.uniform(20, 60);
  const wave = new Float32Array(W + 64);
  for (let c = 0; c < wave.length; c++) wave[c] = 0.95 + 0.05 * Math.sin(c / grain);
  for (let row = 0; row < H; row++) {
    const bend = Math.round(32 + 31 * Math.sin(row / 17));
    for (let col = 0; col < W; col++) {
      const i = row * W + col;
      const k = render.label[i];
      const base = k >= 0 ? objects[k].proto.color : k === -1 ? table.color : k === -3 ? wallColor : floor;
      const lambert = Math.max(0, render.nx[i] * lx + render.ny[i] * ly + render.nz[i] * lz);
      let shade = 0.35 + 0.65 * lambert;
      if (k === -1) shade *= wave[col + bend];
      const noise = 3 * (rng.next() - 0.5);
      for (let ch = 0; ch < 3; ch++) {
        const v = 255 * base[ch] * shade + noise;
        data[3 * i + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { width: W, height: H, data };
}
