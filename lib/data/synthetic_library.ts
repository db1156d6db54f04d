import { Rng } from './random';
import { CornellShapeKind, LocalGrasp, ObjectPrototype, Primitive, Vec3 } from './synthetic_objects';

/**
 * The Cornell-like object library: household objects as Cornell shows them (remote controls, staplers, pens,
 * brushes, tape rolls, bowls, mugs, fruit, glasses and scissors, shoes), built from boxes (possibly turned),
 * cylinders and ellipsoids. Sizes follow what real Cornell depth shows in its 300×300 crops: most objects are flat
 * (1–3 cm above the table), few exceed 6 cm; footprints 4–25 cm. Grasps are where Cornell's labellers put them: across
 * the narrow side at several places along long objects, along handles, radially across the rims of rings, bowls and
 * mugs, on mug handles, across the minor axis of blobs. Their `opening`/`plate` are geometric defaults that the
 * scene's labelling rules (synthetic.ts) may replace with a labeller's.
 */

/** Gripper limits for this library (m): Cornell openings reach ~86 px ≈ 15 cm at its ~1 m viewing distance. */
export const CORNELL_GRIPPER = { maxOpening: 0.15, minOpening: 0.012 } as const;

const SHAPES: { kind: CornellShapeKind; weight: number }[] = [
  { kind: 'flat', weight: 3 },
  { kind: 'small-box', weight: 1.5 },
  { kind: 'bar', weight: 2 },
  { kind: 'handle-tool', weight: 2.5 },
  { kind: 'ring', weight: 1 },
  { kind: 'bowl', weight: 0.6 },
  { kind: 'open-mug', weight: 0.4 },
  { kind: 'blob', weight: 1.5 },
  { kind: 'loops', weight: 1 },
  { kind: 'bottle', weight: 0.8 },
  { kind: 'shoe', weight: 0.4 },
];

/** A random graspable prototype of the Cornell-like library. */
export function randomCornellPrototype(rng: Rng): ObjectPrototype {
  const total = SHAPES.reduce((s, x) => s + x.weight, 0);
  for (let attempt = 0; attempt < 20; attempt++) {
    let u = rng.next() * total;
    const kind = SHAPES.find((s) => (u -= s.weight) < 0)?.kind ?? 'flat';
    const proto = makeCornellPrototype(kind, rng);
    if (proto.grasps.length > 0) return proto;
  }
  return makeCornellPrototype('bar', rng);
}

/** Boxes tangent to a circle of radius R (centre line of a wall of thickness t, height h from z0), over arc [a0, a1]. */
function ringPrims(R: number, t: number, h: number, z0: number, n: number, a0 = 0, a1 = 2 * Math.PI, cx = 0, cy = 0): Primitive[] {
  const seg = ((a1 - a0) * R) / n;
  return Array.from({ length: n }, (_, k) => {
    const a = a0 + ((k + 0.5) * (a1 - a0)) / n;
    return { kind: 'box', c: [cx + R * Math.cos(a), cy + R * Math.sin(a), z0 + h / 2], h: [seg * 0.56, t / 2, h / 2], yaw: a + Math.PI / 2 } as Primitive;
  });
}

export function makeCornellPrototype(kind: CornellShapeKind, rng: Rng): ObjectPrototype {
  const color = randomColor(rng);
  const grasps: LocalGrasp[] = [];
  const G = (p: Vec3, phi: number, span: number) => {
    const opening = span + 2 * rng.uniform(0.005, 0.012);
    if (opening > CORNELL_GRIPPER.maxOpening || opening < CORNELL_GRIPPER.minOpening) return;
    grasps.push({ p, phi, span, opening, plate: opening * rng.uniform(0.4, 0.6) });
  };
  /** n evenly spread positions over [−half, half] */
  const spread = (half: number, n: number): number[] => (n <= 1 || half <= 0 ? [0] : Array.from({ length: n }, (_, j) => -half + (2 * half * j) / (n - 1)));
  let prims: Primitive[] = [];
  let round = false;

  switch (kind) {
    case 'flat': {
      // remote control, phone, wallet, book, comb: flat boxes
      const L = rng.uniform(0.07, 0.2);
      const w = rng.uniform(0.025, Math.min(0.1, L * 0.8));
      const h = rng.uniform(0.005, 0.028);
      prims = [{ kind: 'box', c: [0, 0, h / 2], h: [L / 2, w / 2, h / 2] }];
      for (const x of spread(L / 2 - 0.015, L > 0.12 ? 4 + rng.int(3) : 3 + rng.int(2))) G([x, 0, h], Math.PI / 2, w);
      break;
    }
    case 'small-box': {
      // stapler, container, toy block, eraser
      const L = rng.uniform(0.05, 0.15);
      const w = rng.uniform(0.025, 0.07);
      const h = rng.uniform(0.012, 0.045);
      prims = [{ kind: 'box', c: [0, 0, h / 2], h: [L / 2, w / 2, h / 2] }];
      if (rng.chance(0.4)) {
        // a stapler-like raised back
        const h2 = h * rng.uniform(0.3, 0.7);
        prims.push({ kind: 'box', c: [L / 4, 0, h + h2 / 2], h: [L / 4, (w / 2) * 0.9, h2 / 2] });
      }
      for (const x of spread(L / 2 - 0.012, L > 0.09 ? 4 : 3)) G([x, 0, h], Math.PI / 2, w);
      break;
    }
    case 'bar': {
      // pen, marker, knife, chopstick, screwdriver shaft: thin cylinders or thin boxes
      const L = rng.uniform(0.1, 0.22);
      const r = rng.uniform(0.004, 0.013);
      if (rng.chance(0.6)) prims = [{ kind: 'cylinder', c: [0, 0, r], axis: 0, r, hl: L / 2 }];
      else prims = [{ kind: 'box', c: [0, 0, r / 2], h: [L / 2, r * 1.3, r / 2] }];
      for (const x of spread(L / 2 - 0.02, 3 + rng.int(3))) G([x, 0, 2 * r], Math.PI / 2, prims[0].kind === 'box' ? 2.6 * r : 2 * r);
      break;
    }
    case 'handle-tool': {
      // brush, spatula, spoon, screwdriver: a handle along x with a wider head at +x
      const Lh = rng.uniform(0.07, 0.14);
      const wh = rng.uniform(0.012, 0.03);
      const hh = rng.uniform(0.01, 0.03);
      const Lk = rng.uniform(0.04, 0.09);
      const wk = rng.uniform(0.03, 0.07);
      const hk = rng.uniform(0.01, 0.04);
      const head: Primitive = rng.chance(0.5)
        ? { kind: 'ellipsoid', c: [Lh / 2 + Lk / 2 - 0.005, 0, 0], r: [Lk / 2, wk / 2, hk] }
        : { kind: 'box', c: [Lh / 2 + Lk / 2 - 0.005, 0, hk / 2], h: [Lk / 2, wk / 2, hk / 2] };
      prims = [{ kind: 'box', c: [0, 0, hh / 2], h: [Lh / 2, wh / 2, hh / 2] }, head];
      for (const x of spread(Lh / 2 - 0.012, 3 + rng.int(2))) G([x, 0, hh], Math.PI / 2, wh);
      if (rng.chance(0.5)) G([Lh / 2 + Lk / 2, 0, hk], Math.PI / 2, wk);
      break;
    }
    case 'ring':
    case 'bowl':
    case 'open-mug': {
      // tape roll / bracelet; bowl; mug seen open from above: a wall around a circle (+ a base), rim grasps
      const R = kind === 'ring' ? rng.uniform(0.02, 0.045) : kind === 'bowl' ? rng.uniform(0.04, 0.07) : rng.uniform(0.03, 0.042);
      const t = kind === 'ring' ? rng.uniform(0.005, 0.018) : rng.uniform(0.004, 0.008);
      const h = kind === 'ring' ? rng.uniform(0.01, 0.05) : kind === 'bowl' ? rng.uniform(0.03, 0.06) : rng.uniform(0.07, 0.1);
      prims = ringPrims(R, t, h, 0, 16);
      if (kind !== 'ring') prims.push({ kind: 'cylinder', c: [0, 0, 0.004], axis: 2, r: R, hl: 0.004 });
      const k = 3 + rng.int(3);
      const phase = rng.uniform(0, 2 * Math.PI);
      for (let j = 0; j < k; j++) {
        const a = phase + (2 * Math.PI * j) / k;
        G([R * Math.cos(a), R * Math.sin(a), h], a, t);
      }
      if (kind === 'open-mug') {
        // a C-shaped handle at +x, grasped across its thickness
        const hr = rng.uniform(0.015, 0.025);
        const ht = rng.uniform(0.006, 0.01);
        prims.push(...ringPrims(hr, ht, h * 0.6, h * 0.2, 6, -Math.PI / 2, Math.PI / 2, R + 0.002, 0));
        G([R + 0.002 + hr, 0, h * 0.8], 0, ht);
      } else if (kind === 'ring' && rng.chance(0.3)) {
        // a solid ring (tape roll) can also be grasped across its diameter
        G([0, 0, h], rng.uniform(0, Math.PI), 2 * R + t);
      }
      round = kind === 'ring';
      break;
    }
    case 'blob': {
      // fruit, toy, sponge, stone: one to three overlapping ellipsoids, grasped across the minor axis
      const a = rng.uniform(0.025, 0.05);
      const b = rng.uniform(0.015, Math.min(0.04, a));
      const c = rng.uniform(0.008, 0.03);
      prims = [{ kind: 'ellipsoid', c: [0, 0, 0], r: [a, b, c] }];
      const extra = rng.int(3);
      for (let e = 0; e < extra; e++) {
        const ea = rng.uniform(0.6, 0.9) * b;
        prims.push({ kind: 'ellipsoid', c: [rng.uniform(-a, a) * 0.6, rng.uniform(-b, b) * 0.5, 0], r: [ea, ea * rng.uniform(0.7, 1), c * rng.uniform(0.6, 1)] });
      }
      for (const d of [-0.35, 0, 0.35].slice(0, 1 + rng.int(3))) G([d * a, 0, c], Math.PI / 2 + rng.uniform(-0.2, 0.2), 2 * b);
      if (a < 0.04 && rng.chance(0.5)) G([0, 0, c], 0, 2 * a);
      break;
    }
    case 'loops': {
      // scissors, glasses, keys on a ring: two small loops joined by a bar or blades
      const r = rng.uniform(0.012, 0.022);
      const t = rng.uniform(0.004, 0.008);
      const h = rng.uniform(0.005, 0.015);
      const gap = rng.uniform(0.005, 0.02);
      const Lb = rng.uniform(0.05, 0.1);
      const wb = rng.uniform(0.008, 0.018);
      const y0 = r + gap / 2;
      prims = [...ringPrims(r, t, h, 0, 10, 0, 2 * Math.PI, -r, y0), ...ringPrims(r, t, h, 0, 10, 0, 2 * Math.PI, -r, -y0)];
      prims.push({ kind: 'box', c: [Lb / 2, 0, h / 2], h: [Lb / 2, wb / 2, h / 2] });
      for (const x of spread(Lb / 2 - 0.012, 2)) G([Lb / 2 + x, 0, h], Math.PI / 2, wb);
      G([-r, y0 + r, h], Math.PI / 2, t);
      G([-r, -y0 - r, h], Math.PI / 2, t);
      break;
    }
    case 'bottle': {
      // bottle, can, roll lying on its side
      const r = rng.uniform(0.015, 0.04);
      const L = rng.uniform(0.07, 0.2);
      prims = [{ kind: 'cylinder', c: [0, 0, r], axis: 0, r, hl: L / 2 }];
      for (const x of spread(L / 2 - 0.02, 2 + rng.int(2))) G([x, 0, 2 * r], Math.PI / 2, 2 * r);
      break;
    }
    case 'shoe': {
      // a shoe or slipper: a long low ellipsoid with a raised heel, grasped across its width and at the heel rim
      const a = rng.uniform(0.09, 0.13);
      const b = rng.uniform(0.035, 0.05);
      const c = rng.uniform(0.03, 0.07);
      prims = [
        { kind: 'ellipsoid', c: [0, 0, 0], r: [a, b, c * 0.6] },
        { kind: 'ellipsoid', c: [-a * 0.55, 0, 0], r: [a * 0.4, b * 0.95, c] },
      ];
      for (const x of [-0.5, 0, 0.5]) G([x * a, 0, c * 0.6], Math.PI / 2 + rng.uniform(-0.15, 0.15), 2 * b * Math.sqrt(1 - x * x * 0.6));
      G([-a * 0.92, 0, c], 0, 0.012);
      break;
    }
  }
  return finish(kind, prims, grasps, color, round);
}

/** Recentres the footprint on the origin and fills radius/height. */
function finish(kind: CornellShapeKind, prims: Primitive[], grasps: LocalGrasp[], color: Vec3, round: boolean): ObjectPrototype {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  let height = 0;
  for (const p of prims) {
    const [ex, ey, top] = extent(p);
    x0 = Math.min(x0, p.c[0] - ex);
    x1 = Math.max(x1, p.c[0] + ex);
    y0 = Math.min(y0, p.c[1] - ey);
    y1 = Math.max(y1, p.c[1] + ey);
    height = Math.max(height, top);
  }
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const moved = prims.map((p) => ({ ...p, c: [p.c[0] - cx, p.c[1] - cy, p.c[2]] as Vec3 }));
  let radius = 0;
  for (const p of moved) {
    const [ex, ey] = extent(p);
    radius = Math.max(radius, Math.hypot(Math.abs(p.c[0]) + ex, Math.abs(p.c[1]) + ey));
  }
  return {
    shape: kind,
    prims: moved,
    radius,
    height,
    color,
    grasps: grasps.map((g) => ({ ...g, p: [g.p[0] - cx, g.p[1] - cy, g.p[2]] as Vec3 })),
    round,
  };
}

/** Half extents in x and y (axis-aligned bound) and the top z of a primitive. */
function extent(p: Primitive): [number, number, number] {
  switch (p.kind) {
    case 'box': {
      const c = Math.abs(Math.cos(p.yaw ?? 0));
      const s = Math.abs(Math.sin(p.yaw ?? 0));
      return [c * p.h[0] + s * p.h[1], s * p.h[0] + c * p.h[1], p.c[2] + p.h[2]];
    }
    case 'sphere':
      return [p.r, p.r, p.c[2] + p.r];
    case 'ellipsoid':
      return [p.r[0], p.r[1], p.c[2] + p.r[2]];
    case 'cylinder':
      return p.axis === 2 ? [p.r, p.r, p.c[2] + p.hl] : p.axis === 0 ? [p.hl, p.r, p.c[2] + p.r] : [p.r, p.hl, p.c[2] + p.r];
  }
}

function randomColor(rng: Rng): Vec3 {
  const v = rng.uniform(0.15, 0.9);
  return [v * rng.uniform(0.6, 1), v * rng.uniform(0.6, 1), v * rng.uniform(0.6, 1)];
}
