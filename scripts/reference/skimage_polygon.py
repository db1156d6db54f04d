"""Reference pixels of skimage.draw.polygon (scikit-image 0.19, Debian's python3-skimage) for grasplab's tests.

  /usr/bin/python3 scripts/reference/skimage_polygon.py > test/fixtures/skimage_polygon.json

Each case: vertices (rows r, cols c, as ggcnn passes them), the shape argument (or null) and the resulting pixels as
runs per row: {"row": [[c_first, c_last], ...]}. The cases are the kinds of polygons ggcnn rasterises: integer
rectangles (Cornell ground truth), truncated rotated rectangles (astype(int) after rotate/zoom, Jacquard),
float predicted rectangles (Grasp.as_gr), centre-third target rectangles clipped to 300x300, and edge cases.
"""
import json
import numpy as np
import skimage
from skimage.draw import polygon


def as_gr(center, angle, length, width):
    # ggcnn Grasp.as_gr (corner order p0..p3, [row, col])
    xo, yo = np.cos(angle), np.sin(angle)
    y1 = center[0] + length / 2 * yo
    x1 = center[1] - length / 2 * xo
    y2 = center[0] - length / 2 * yo
    x2 = center[1] + length / 2 * xo
    return np.array([[y1 - width / 2 * xo, x1 - width / 2 * yo], [y2 - width / 2 * xo, x2 - width / 2 * yo],
                     [y2 + width / 2 * xo, x2 + width / 2 * yo], [y1 + width / 2 * xo, x1 + width / 2 * yo]], dtype=float)


def case(name, pts, shape=None):
    pts = np.asarray(pts)
    rr, cc = polygon(pts[:, 0], pts[:, 1], shape)
    runs = {}
    for r in sorted(set(rr.tolist())):
        cols = sorted(cc[rr == r].tolist())
        row_runs = [[cols[0], cols[0]]]
        for c in cols[1:]:
            if c == row_runs[-1][1] + 1:
                row_runs[-1][1] = c
            else:
                row_runs.append([c, c])
        runs[str(r)] = row_runs
    return {'name': name, 'r': pts[:, 0].tolist(), 'c': pts[:, 1].tolist(), 'shape': list(shape) if shape else None,
            'count': int(len(rr)), 'runs': runs}


def main():
    cases = [
        case('integer 30x60 rectangle', [[100, 100], [100, 160], [130, 160], [130, 100]]),
        case('integer 30x60 rectangle clipped by shape', [[100, 100], [100, 160], [130, 160], [130, 100]], (120, 150)),
        case('integer 20x20 square', [[40, 50], [40, 70], [60, 70], [60, 50]], (100, 100)),
        case('skimage docstring triangle', [[1, 1], [2, 7], [8, 4]]),
        case('half-integer corners', [[10.5, 10.5], [10.5, 20.5], [15.5, 20.5], [15.5, 10.5]]),
        case('partly negative rectangle', [[-5, -7], [-5, 12], [9, 12], [9, -7]]),
        case('zero-width rectangle (a segment)', [[10, 10], [10, 20], [10, 20], [10, 10]]),
        case('diagonal segment polygon', [[0, 0], [6, 6], [6, 6], [0, 0]]),
    ]
    rng = np.random.RandomState(20)
    for k in range(14):
        center = rng.uniform(20, 280, 2)
        angle = rng.uniform(-np.pi / 2, np.pi / 2)
        length, width = rng.uniform(10, 120), rng.uniform(5, 60)
        gr = as_gr(center, angle, length, width)
        case_name = 'grasp %d, angle %.3f' % (k, angle)
        cases.append(case('float ' + case_name, gr))
        cases.append(case('truncated ' + case_name, gr.astype(int)))
        cases.append(case('rounded ' + case_name, np.round(gr).astype(int)))
    # ggcnn's targets: the centre third of an integer rectangle, drawn into a 300x300 map
    for k in range(8):
        center = rng.uniform(-10, 310, 2).astype(int)
        angle = rng.uniform(-np.pi / 2, np.pi / 2)
        gr = as_gr(center, angle, rng.uniform(20, 150) / 3, rng.uniform(10, 60))
        cases.append(case('target centre third %d (shape 300x300)' % k, gr, (300, 300)))
    for k in [0, np.pi / 4, np.pi / 2, -np.pi / 3]:
        cases.append(case('axis-ish grasp at integer centre, angle %.4f' % k, as_gr((150, 150), k, 60, 30)))
    print(json.dumps({'skimage': skimage.__version__, 'numpy': np.__version__, 'cases': cases}, separators=(',', ':')))


if __name__ == '__main__':
    main()
