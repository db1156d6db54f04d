"""Reference outputs of skimage.transform.resize (scikit-image 0.19, scipy 1.10: Debian's python3-skimage/-scipy)
for grasplab's tests, as ggcnn calls it (float32 image, preserve_range=True, default order/anti-aliasing).

  /usr/bin/python3 scripts/reference/skimage_resize.py test/fixtures/skimage_resize.npz

Arrays: `a` (37x53) and `b` (64x64) float32 inputs; `<input>_<H>x<W>_<mode>` the resized outputs.
"""
import sys
import numpy as np
import skimage
from skimage.transform import resize


def main(out):
    rng = np.random.RandomState(3)
    yy, xx = np.mgrid[0:37, 0:53]
    a = (0.3 * np.sin(yy / 5.0) + 0.2 * np.cos(xx / 7.0) + 0.05 * rng.normal(size=(37, 53))).astype(np.float32)
    b = np.clip(rng.normal(size=(64, 64)) * 0.1 - 0.02, -1, 1).astype(np.float32)
    arrays = {'a': a, 'b': b}
    for name, img, shapes in [('a', a, [(11, 17), (20, 60), (50, 70), (37, 53)]), ('b', b, [(19, 19), (90, 100)])]:
        for shape in shapes:
            for mode in ['reflect', 'symmetric']:
                arrays['%s_%dx%d_%s' % (name, shape[0], shape[1], mode)] = resize(img, shape, mode=mode, preserve_range=True)
    for k, v in arrays.items():
        assert v.dtype == np.float32, (k, v.dtype)
    np.savez_compressed(out, **arrays)
    print('skimage', skimage.__version__, 'arrays', len(arrays))


if __name__ == '__main__':
    main(sys.argv[1])
