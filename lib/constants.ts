/** Named constants, each with its source (see ../shared/notes/reference-methods.md in the dev docs). */

/** Network input/output size in pixels (ggcnn `GraspDatasetBase(output_size=300)`). */
export const OUTPUT_SIZE = 300;
/** Width map scale: target `clip(opening, 0, 150) / 150`, prediction `× 150` (ggcnn `post_process_output`). */
export const WIDTH_SCALE_PX = 150;
/** Rectangle metric: IoU threshold (Cornell metric, ggcnn `calculate_iou_match`). */
export const IOU_THRESHOLD = 0.25;
/** Rectangle metric: maximum angle difference, 30° (ggcnn `calculate_iou_match`). */
export const ANGLE_TOLERANCE_RAD = Math.PI / 6;
/** Gaussian blur sigmas on quality / angle / width maps (ggcnn `post_process_output`). */
export const BLUR_SIGMA = { quality: 2.0, angle: 2.0, width: 1.0 } as const;
/** Peak detection (ggcnn `detect_grasps`: `peak_local_max(min_distance=20, threshold_abs=0.2)`). */
export const PEAK_MIN_DISTANCE = 20;
export const PEAK_THRESHOLD_ABS = 0.2;
/** Cornell image size (rows, cols). */
export const CORNELL_SHAPE = [480, 640] as const;
/** Jacquard image size (square). */
export const JACQUARD_SIZE = 1024;
