"""Rectangles and target maps as dougsm/ggcnn's own code computes them (utils/dataset_processing/grasp.py), for
grasplab's test of its ggcnn-exact geometry (test/data/ggcnn_geometry.test.ts).

  git clone https://github.com/dougsm/ggcnn /tmp/ggcnn   # commit 0c50aa7
  /usr/bin/python3 scripts/reference/ggcnn_rects.py /tmp/ggcnn > test/fixtures/ggcnn_rects.json

Runs ggcnn's GraspRectangles with the call sequence of CornellDataset.get_gtbb / JacquardDataset.get_gtbb
(crop centre, rotate, offset, zoom) and GraspDatasetBase.__getitem__'s target drawing, on made-up rectangle files in
Cornell's and Jacquard's formats, for several rotations and zooms. numpy >= 1.24 removed np.int / np.float, which
ggcnn uses; they are aliased to the builtins here (what they always meant).
"""
import json
import os
import sys
import tempfile
import numpy as np

np.int = int
np.float = float

CORNELL = """253 319.7
309 324
307 350.5
251.5 345.5
301.44 201.12
299.63 260.5
319.17 260.98
320.98 201.61
270 180.49
330.2 170.8
332.6 186.1
272.4 195.8
"""
JACQUARD = """470.14815;253.89551;68.2615;25.5;25.6211
512.5;500.25;-12.5;60.75;20
300.8;700.3;90;44.1;18.5
650.2;420.6;135.5;80.25;30.5
"""
CASES = [(0.0, 1.0), (np.pi / 2, 1.0), (np.pi, 1.0), (3 * np.pi / 2, 1.0), (0.0, 0.5), (np.pi / 2, 0.73), (0.7, 0.61), (-2.1, 0.9)]


def checksum_maps(grs, size=300):
    pos, ang, width = grs.draw((size, size))
    width = np.clip(width, 0.0, 150.0) / 150.0
    return {'pos': int(pos.sum()), 'cos': float(np.cos(2 * ang).sum()), 'sin': float(np.sin(2 * ang).sum()),
            'width': float(width.sum()), 'pos_rows': float((pos * np.arange(size)[:, None]).sum())}


def main(ggcnn_dir):
    sys.path.insert(0, ggcnn_dir)
    from utils.dataset_processing.grasp import GraspRectangles
    out = {'cornell_text': CORNELL, 'jacquard_text': JACQUARD, 'cornell': [], 'jacquard': []}
    with tempfile.TemporaryDirectory() as tmp:
        cf, jf = os.path.join(tmp, 'pcd0001cpos.txt'), os.path.join(tmp, '0_x_grasps.txt')
        open(cf, 'w').write(CORNELL)
        open(jf, 'w').write(JACQUARD)
        loaded = GraspRectangles.load_from_cornell_file(cf)
        out['cornell_loaded'] = [g.points.tolist() for g in loaded]
        for rot, zoom in CASES:
            # CornellDataset._get_crop_attrs + get_gtbb, output_size 300, 480x640 images
            gtbbs = GraspRectangles.load_from_cornell_file(cf)
            center = gtbbs.center
            left = max(0, min(center[1] - 300 // 2, 640 - 300))
            top = max(0, min(center[0] - 300 // 2, 480 - 300))
            gtbbs.rotate(rot, center)
            gtbbs.offset((-top, -left))
            gtbbs.zoom(zoom, (300 // 2, 300 // 2))
            out['cornell'].append({'rotation': rot, 'zoom': zoom, 'center': center.tolist(), 'top': int(top), 'left': int(left),
                                   'rects': [g.points.tolist() for g in gtbbs], 'maps': checksum_maps(gtbbs)})
            # JacquardDataset.get_gtbb, output_size 300
            gtbbs = GraspRectangles.load_from_jacquard_file(jf, scale=300 / 1024.0)
            gtbbs.rotate(rot, (150, 150))
            gtbbs.zoom(zoom, (150, 150))
            out['jacquard'].append({'rotation': rot, 'zoom': zoom, 'rects': [g.points.tolist() for g in gtbbs], 'maps': checksum_maps(gtbbs)})
    print(json.dumps(out, indent=0))


if __name__ == '__main__':
    main(sys.argv[1])
