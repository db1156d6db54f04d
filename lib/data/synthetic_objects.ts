import { Rng } from './random';

/**
 * Object catalogue of the synthetic tabletop scenes: shapes as unions of primitives in the object's own frame
 * (z up, resting on the table plane z = 0, footprint centred on the origin) and the parallel-jaw grasps each
 * shape affords (antipodal: the jaws close across a dimension the gripper can span). Metres and radians.
 */

export type Vec3 = [number, number, number];

/** Primitives in the object frame (boxes may be turned about z by `yaw`; ellipsoids are axis-aligned). */
export type Primitive =
  | { kind: 'box'; c: Vec3; h: Vec3 /* half extents */; yaw?: number }
  | { kind: 'cylinder'; c: Vec3; axis: 0 | 1 | 2; r: number; hl: number /* half length */ }
  | { kind: 'sphere'; c: Vec3; r: number }
  | { kind: 'ellipsoid'; c: Vec3; r: Vec3 /* semi-axes */ };

export type ShapeKind = CornellShapeKind | BasicShapeKind;

/** Shapes of the first generator's library ('basic'). */
export type BasicShapeKind =
  | 'box'
  | 'standing-cylinder'
  | 'lying-cylinder'
  | 'sphere'
  | 'elongated'
  | 'l-shape'
  | 't-shape'
  | 'mug'
  | 'flat-board';

/** A grasp in the object frame: jaws close along direction `phi` (yaw) through the point `p`. */
export interface LocalGrasp {
  /** grasp centre, on top of the part grasped */
  p: Vec3;
  /** closing direction, radians in the table plane */
  phi: number;
  /** the object's extent between the jaws (m) */
  span: number;
  /** jaw opening (m): span plus clearance on both sides */
  opening: number;
  /** gripper plate size across the closing direction (m), about half the opening as in Cornell's labels */
  plate: number;
}

export interface ObjectPrototype {
  shape: ShapeKind;
  prims: Primitive[];
  /** radius of a circle around the origin containing the footprint (m) */
  radius: number;
  height: number;
  /** base colour, RGB in [0, 1] */
  color: Vec3;
  /** empty for objects too large to grasp (distractors) */
  grasps: LocalGrasp[];
  /** every closing direction through the centre works (spheres, standing cylinders) */
  round: boolean;
}

/** Shapes of the Cornell-like library (lib/data/synthetic_library.ts). */
export type CornellShapeKind = 'flat' | 'small-box' | 'bar' | 'handle-tool' | 'ring' | 'bowl' | 'open-mug' | 'blob' | 'loops' | 'bottle' | 'shoe';

/** Gripper limits (m): openings the synthetic parallel gripper can make; jaw finger thickness. */
export const GRIPPER = { maxOpening: 0.125, minOpening: 0.018, finger: 0.01 } as const;

const SHAPES: { kind: BasicShapeKind; weight: number }[] = [
  { kind: 'box', weight: 3 },
  { kind: 'standing-cylinder', weight: 2 },
  { kind: 'lying-cylinder', weight: 2 },
  { kind: 'sphere', weight: 1.5 },
  { kind: 'elongated', weight: 2 },
  { kind: 'l-shape', weight: 1 },
  { kind: 't-shape', weight: 1 },
  { kind: 'mug', weight: 1.5 },
];

/** A random graspable object prototype. */
export function randomPrototype(rng: Rng): ObjectPrototype {
  const total = SHAPES.reduce((s, x) => s + x.weight, 0);
  for (let attempt = 0; attempt < 20; attempt++) {
    let u = rng.next() * total;
    const kind = SHAPES.find((s) => (u -= s.weight) < 0)?.kind ?? 'box';
    const proto = makePrototype(kind, rng);
    if (proto.grasps.length > 0) return proto;
  }
  return makePrototype('standing-cylinder', rng);
}

/** A prototype of the given shape with random dimensions (may have no feasible grasp: check `grasps`). */
export function makePrototype(kind: BasicShapeKind, rng: Rng): ObjectPrototype {
  const color = randomColor(rng);
  const G = (p: Vec3, phi: number, span: number): LocalGrasp | undefined => {
    const opening = span + 2 * rng.uniform(0.005, 0.012);
    if (opening > GRIPPER.maxOpening || opening < GRIPPER.minOpening) return undefined;
    return { p, phi, span, opening, plate: opening * rng.uniform(0.4, 0.6) };
  };
  const grasps: LocalGrasp[] = [];
  const push = (g: LocalGrasp | undefined) => g && grasps.push(g);
  /** n positions spread over [−extent/2 + m, extent/2 − m] (one at the middle when that is empty) */
  const along = (extent: number, n: number, margin = 0.012): number[] => {
    const half = extent / 2 - margin;
    if (half <= 0 || n <= 1) return [0];
    return Array.from({ length: n }, (_, j) => -half + (2 * half * j) / (n - 1));
  };

  switch (kind) {
    case 'box': {
      const sx = rng.uniform(0.025, 0.13);
      const sy = rng.uniform(0.025, 0.13);
      const hz = rng.uniform(0.02, 0.09);
      const prims: Primitive[] = [{ kind: 'box', c: [0, 0, hz / 2], h: [sx / 2, sy / 2, hz / 2] }];
      // close along x at positions along y, and along y at positions along x
      for (const t of along(sy, sy > 0.07 ? 3 : sy > 0.04 ? 2 : 1)) push(G([0, t, hz], 0, sx));
      for (const t of along(sx, sx > 0.07 ? 3 : sx > 0.04 ? 2 : 1)) push(G([t, 0, hz], Math.PI / 2, sy));
      return { shape: kind, prims, radius: Math.hypot(sx, sy) / 2, height: hz, color, grasps, round: false };
    }
    case 'standing-cylinder': {
      const r = rng.uniform(0.015, 0.045);
      const hz = rng.uniform(0.04, 0.14);
      const prims: Primitive[] = [{ kind: 'cylinder', c: [0, 0, hz / 2], axis: 2, r, hl: hz / 2 }];
      roundGrasps(rng, [0, 0, hz], 2 * r, G, push);
      return { shape: kind, prims, radius: r, height: hz, color, grasps, round: true };
    }
    case 'sphere': {
      const r = rng.uniform(0.02, 0.045);
      const prims: Primitive[] = [{ kind: 'sphere', c: [0, 0, r], r }];
      roundGrasps(rng, [0, 0, 2 * r], 2 * r, G, push);
      return { shape: kind, prims, radius: r, height: 2 * r, color, grasps, round: true };
    }
    case 'lying-cylinder': {
      const r = rng.uniform(0.012, 0.035);
      const len = rng.uniform(0.07, 0.2);
      const prims: Primitive[] = [{ kind: 'cylinder', c: [0, 0, r], axis: 0, r, hl: len / 2 }];
      for (const t of along(len, 2 + rng.int(3), 0.018)) push(G([t, 0, 2 * r], Math.PI / 2, 2 * r));
      return { shape: kind, prims, radius: Math.hypot(len / 2, r), height: 2 * r, color, grasps, round: false };
    }
    case 'elongated': {
      const w = rng.uniform(0.012, 0.03);
      const len = rng.uniform(0.12, 0.22);
      const hz = rng.uniform(0.008, 0.03);
      const prims: Primitive[] = [{ kind: 'box', c: [0, 0, hz / 2], h: [len / 2, w / 2, hz / 2] }];
      for (const t of along(len, 2 + rng.int(3), 0.025)) push(G([t, 0, hz], Math.PI / 2, w));
      return { shape: kind, prims, radius: Math.hypot(len, w) / 2, height: hz, color, grasps, round: false };
    }
    case 'l-shape':
    case 't-shape': {
      const wa = rng.uniform(0.02, 0.045);
      const la = rng.uniform(0.08, 0.14);
      const wb = rng.uniform(0.02, 0.045);
      const lb = rng.uniform(0.06, 0.12);
      const hz = rng.uniform(0.015, 0.05);
      // arm A along x over [0, la]; arm B along y from A's side, at A's end (L) or middle (T)
      const bx = kind === 'l-shape' ? wb / 2 : la / 2;
      const prims: Primitive[] = [
        { kind: 'box', c: [la / 2, 0, hz / 2], h: [la / 2, wa / 2, hz / 2] },
        { kind: 'box', c: [bx, wa / 2 + lb / 2, hz / 2], h: [wb / 2, lb / 2, hz / 2] },
      ];
      // A: close across its width (along y) away from the junction; B: close along x away from A
      for (const t of along(la, 5, 0.012)) {
        const x = la / 2 + t;
        if (Math.abs(x - bx) > wb / 2 + 0.02) push(G([x, 0, hz], Math.PI / 2, wa));
      }
      for (const t of along(lb, 3, 0.012)) {
        const y = wa / 2 + lb / 2 + t;
        if (y > wa / 2 + 0.025) push(G([bx, y, hz], 0, wb));
      }
      // recentre the footprint on the origin
      const cx = la / 2;
      const cy = lb / 2; // footprint spans y in [−wa/2, wa/2 + lb]
      const shifted = shift(prims, grasps, cx, cy);
      let radius = 0;
      for (const p of shifted.prims) if (p.kind === 'box') radius = Math.max(radius, Math.hypot(Math.abs(p.c[0]) + p.h[0], Math.abs(p.c[1]) + p.h[1]));
      return { shape: kind, prims: shifted.prims, radius, height: hz, color, grasps: shifted.grasps, round: false };
    }
    case 'mug': {
      const r = rng.uniform(0.03, 0.045);
      const hz = rng.uniform(0.07, 0.12);
      const hx = rng.uniform(0.008, 0.015);
      const hy = rng.uniform(0.004, 0.007);
      const prims: Primitive[] = [
        { kind: 'cylinder', c: [0, 0, hz / 2], axis: 2, r, hl: hz / 2 },
        { kind: 'box', c: [r + hx, 0, hz / 2], h: [hx, hy, hz * 0.3] },
      ];
      // body: closing directions that keep the jaws off the handle (handle along +x)
      const k = 2 + rng.int(3);
      for (let j = 0; j < k; j++) push(G([0, 0, hz], ((40 + (100 * j) / Math.max(1, k - 1)) * Math.PI) / 180, 2 * r));
      // the handle itself, closed across its thickness
      push(G([r + hx, 0, hz * 0.8], Math.PI / 2, 2 * hy));
      return { shape: kind, prims, radius: r + 2 * hx, height: hz, color, grasps, round: false };
    }
    case 'flat-board': {
      const sx = rng.uniform(0.14, 0.2);
      const sy = rng.uniform(0.14, 0.2);
      const hz = rng.uniform(0.008, 0.03);
      const prims: Primitive[] = [{ kind: 'box', c: [0, 0, hz / 2], h: [sx / 2, sy / 2, hz / 2] }];
      return { shape: kind, prims, radius: Math.hypot(sx, sy) / 2, height: hz, color, grasps: [], round: false };
    }
  }
}

/** Grasps through the centre of a round object at 3–6 evenly spread directions. */
function roundGrasps(
  rng: Rng,
  p: Vec3,
  span: number,
  G: (p: Vec3, phi: number, span: number) => LocalGrasp | undefined,
  push: (g: LocalGrasp | undefined) => void,
): void {
  const k = 3 + rng.int(4);
  const phase = rng.uniform(0, Math.PI);
  for (let j = 0; j < k; j++) push(G(p, phase + (j * Math.PI) / k, span));
}

function shift(prims: Primitive[], grasps: LocalGrasp[], dx: number, dy: number): { prims: Primitive[]; grasps: LocalGrasp[] } {
  const mv = (c: Vec3): Vec3 => [c[0] - dx, c[1] - dy, c[2]];
  return {
    prims: prims.map((p) => ({ ...p, c: mv(p.c) })),
    grasps: grasps.map((g) => ({ ...g, p: mv(g.p) })),
  };
}

function randomColor(rng: Rng): Vec3 {
  // saturated-ish hues, like household objects
  const h = rng.next() * 6;
  const s = rng.uniform(0.3, 0.9);
  const v = rng.uniform(0.4, 0.95);
  const i = Math.floor(h);
  const f = h - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const table: Vec3[] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ];
  return table[i % 6];
}

/** True when the table-plane point (x, y) in the object frame lies within `margin` of the object's footprint. */
export function footprintContains(proto: ObjectPrototype, x: number, y: number, margin: number): boolean {
  for (const p of proto.prims) {
    const dx = x - p.c[0];
    const dy = y - p.c[1];
    if (p.kind === 'box') {
      const cy = Math.cos(p.yaw ?? 0);
      const sy = Math.sin(p.yaw ?? 0);
      if (Math.abs(cy * dx + sy * dy) <= p.h[0] + margin && Math.abs(-sy * dx + cy * dy) <= p.h[1] + margin) return true;
    } else if (p.kind === 'ellipsoid') {
      if ((dx / (p.r[0] + margin)) ** 2 + (dy / (p.r[1] + margin)) ** 2 <= 1) return true;
    } else if (p.kind === 'sphere') {
      if (Math.hypot(dx, dy) <= p.r + margin) return true;
    } else if (p.axis === 2) {
      if (Math.hypot(dx, dy) <= p.r + margin) return true;
    } else {
      const [ax, ay] = p.axis === 0 ? [dx, dy] : [dy, dx];
      if (Math.abs(ax) <= p.hl + margin && Math.abs(ay) <= p.r + margin) return true;
    }
  }
  return false;
}
