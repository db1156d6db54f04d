/**
 * Shared data types. Conventions (see README "Conventions"):
 * - images are row-major, `data[row * width + col]`;
 * - points are `[row, col]` in pixels, angles in radians, counter-clockwise positive, depth in metres;
 * - tensors are NHWC.
 */

/** A single-channel float image (depth in metres, or a map). */
export interface Image2D {
  height: number;
  width: number;
  /** row-major, length height*width */
  data: Float32Array;
}

/** A point `[row, col]` in pixels. */
export type Point = [number, number];

/**
 * A grasp rectangle as 4 corners `[row, col]`, in the Cornell order: p0→p1 is the jaw opening
 * (the gripper closes along it), p1→p2 the gripper plate.
 */
export type GraspRectPoints = [Point, Point, Point, Point];

/** A grasp in its centre/angle/size form (what a network predicts). */
export interface Grasp {
  /** centre `[row, col]` in pixels */
  center: Point;
  /** radians, in [-π/2, π/2), CCW from the image's +x (column) axis */
  angle: number;
  /** jaw opening in pixels (along the grasp axis) */
  length: number;
  /** gripper plate size in pixels (across the grasp axis) */
  width: number;
  /** predicted quality at the centre, if known */
  quality?: number;
}

/** One dataset sample as read from disk, before preprocessing. */
export interface RawSample {
  /** stable identifier, e.g. `01/pcd0100` or `0_1a9f...` */
  id: string;
  /** object identifier, for object-wise splits */
  objectId: string;
  depth: Image2D;
  /** positive grasp rectangles */
  grasps: GraspRectPoints[];
}

/**
 * Where a sample's S×S input came from in its raw image (ggcnn's crop): the window `top, left, height × width`
 * (before zoom) and `scale` = S / window size (1 for Cornell's 300×300 crop, 300/1024 for Jacquard's whole image),
 * plus the augmentation applied (rotation in radians about the crop centre, zoom factor, 1 = none).
 */
export interface SampleCrop {
  top: number;
  left: number;
  height: number;
  width: number;
  scale: number;
  rotation: number;
  zoom: number;
}

/** One preprocessed training sample (output size S, typically 300). */
export interface Sample {
  id: string;
  /** normalised depth `clip(d - mean, -1, 1)`, S×S */
  depth: Image2D;
  /** ground-truth rectangles in the crop's pixel frame (ggcnn's integer corners) */
  grasps: GraspRectPoints[];
  /** the crop this sample was cut from (set by `preprocess`) */
  crop?: SampleCrop;
}

/** The four target/prediction maps, each S×S. */
export interface GraspMaps {
  pos: Image2D;
  cos: Image2D;
  sin: Image2D;
  width: Image2D;
}

/** Channel order of the `[B,H,W,4]` map tensors everywhere in grasplab. */
export const MAP_CHANNELS = ['pos', 'cos', 'sin', 'width'] as const;
export type MapName = (typeof MAP_CHANNELS)[number];

/**
 * What the training targets hold where no rectangle is drawn (lib/data/targets.ts, as ggcnn draws them): no grasp,
 * angle 0 so `cos 2θ = 1`, no opening. The `prior` head bias (ModelConfig.headBias) starts the output maps here.
 */
export const MAP_BACKGROUND: Readonly<Record<MapName, number>> = { pos: 0, cos: 1, sin: 0, width: 0 };
