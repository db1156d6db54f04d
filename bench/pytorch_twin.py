"""PyTorch twins of grasplab's models, for `npm run bench -- --vs-pytorch` (bench/pytorch.ts runs this file).

Run with Debian's PyTorch: /usr/bin/python3 bench/pytorch_twin.py --model pspnet-r18-w0.25 --threads 2
It prints one line `TORCH_RESULT {json}`: trainable parameter count, forward ms per image at batch 1 and batch B
(eval mode, no_grad), training-step ms at batch B (train mode, Adam 1e-3, loss = sum of the four per-map MSEs as
lib/train/step's 'mse'), all at `--threads` intra-op threads. Exit code 3 (and a message) when torch is missing.

The architectures are grasplab's (lib/models/ggcnn.ts, ggcnn2.ts, resnet.ts, pspnet.ts), written the way the original
PyTorch code writes them (dougsm/ggcnn, hszhao/semseg), so the same layers do the same arithmetic:
- GG-CNN: 3 strided convs, 3 transposed convs (output_padding 1), four 2x2 heads (301 -> 300).
- GG-CNN2: convs with dilation 2/4, max pooling, align-corners bilinear x2 upsampling, four 1x1 heads.
- PSPNet-ResNet: conv0 1x1 1->3 (no bias), deep stem, basic (R18/R34) or bottleneck (R50/R101) blocks, layer3/4
  dilated 2/4 with stride 1 (basic blocks: both 3x3 convs dilated), PPM bins 1,2,3,6 with align-corners upsampling,
  cls 3x3 conv-BN-ReLU-Dropout2d(0.1)-1x1 conv, bilinear (align corners) to 301, four 2x2 heads -> 300x300.
Channel counts use the same width rule, max(4, round(c*w)), so parameter counts equal grasplab's (the bench checks).
"""
import argparse
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the bench prints this and goes on without PyTorch numbers
    print(f'TORCH_MISSING {e}', flush=True)
    sys.exit(3)


def sc(c, w):
    return max(4, round(c * w))


class Heads(nn.Module):
    """GG-CNN's four 1-channel output convs (pos, cos, sin, width), concatenated as channels."""

    def __init__(self, cin, k):
        super().__init__()
        self.pos_output = nn.Conv2d(cin, 1, k)
        self.cos_output = nn.Conv2d(cin, 1, k)
        self.sin_output = nn.Conv2d(cin, 1, k)
        self.width_output = nn.Conv2d(cin, 1, k)

    def forward(self, x):
        return torch.cat([self.pos_output(x), self.cos_output(x), self.sin_output(x), self.width_output(x)], 1)


class GGCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 9, stride=3, padding=3)
        self.conv2 = nn.Conv2d(32, 16, 5, stride=2, padding=2)
        self.conv3 = nn.Conv2d(16, 8, 3, stride=2, padding=1)
        self.convt1 = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1)
        self.convt2 = nn.ConvTranspose2d(8, 16, 5, stride=2, padding=2, output_padding=1)
        self.convt3 = nn.ConvTranspose2d(16, 32, 9, stride=3, padding=3, output_padding=1)
        self.heads = Heads(32, 2)

    def forward(self, x):
        for m in (self.conv1, self.conv2, self.conv3, self.convt1, self.convt2, self.convt3):
            x = F.relu(m(x))
        return self.heads(x)


class GGCNN2(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 11, padding=5), nn.ReLU(inplace=True),
            nn.Conv2d(16, 16, 5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(16, 16, 5, padding=2), nn.ReLU(inplace=True),
            nn.Conv2d(16, 16, 5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(16, 32, 5, dilation=2, padding=4), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 5, dilation=4, padding=8), nn.ReLU(inplace=True),
            nn.UpsamplingBilinear2d(scale_factor=2),
            nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(inplace=True),
            nn.UpsamplingBilinear2d(scale_factor=2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(inplace=True),
        )
        self.heads = Heads(16, 1)

    def forward(self, x):
        return self.heads(self.features(x))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        r = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + r)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        r = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + r)


BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}


class PSPNet(nn.Module):
    def __init__(self, depth, w, classes=4, dropout=0.1, bins=(1, 2, 3, 6)):
        super().__init__()
        block = BasicBlock if depth in (18, 34) else Bottleneck
        self.conv0 = nn.Conv2d(1, 3, 1, bias=False)
        stem = [sc(64, w), sc(64, w), sc(128, w)]
        layers, cin = [], 3
        for i, c in enumerate(stem):
            layers += [nn.Conv2d(cin, c, 3, stride=2 if i == 0 else 1, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            cin = c
        layers.append(nn.MaxPool2d(3, 2, 1))
        self.layer0 = nn.Sequential(*layers)
        stages = []
        for li, (planes, stride, dil) in enumerate(zip([64, 128, 256, 512], [1, 2, 1, 1], [1, 1, 2, 4])):
            p = sc(planes, w)
            out = p * block.expansion
            blocks = []
            for b in range(BLOCKS[depth][li]):
                s = stride if b == 0 else 1
                ds = None
                if b == 0 and (s != 1 or cin != out):
                    ds = nn.Sequential(nn.Conv2d(cin, out, 1, stride=s, bias=False), nn.BatchNorm2d(out))
                blocks.append(block(cin, p, s, dil, ds))
                cin = out
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        red = cin // len(bins)
        self.ppm = nn.ModuleList(
            [nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(cin, red, 1, bias=False), nn.BatchNorm2d(red), nn.ReLU(inplace=True)) for b in bins])
        head = sc(512, w)
        self.cls = nn.Sequential(nn.Conv2d(cin + red * len(bins), head, 3, padding=1, bias=False), nn.BatchNorm2d(head), nn.ReLU(inplace=True),
                                 nn.Dropout2d(dropout), nn.Conv2d(head, classes, 1))
        self.heads = Heads(classes, 2)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.layer0(self.conv0(x))))))
        size = x.shape[2:]
        x = torch.cat([x] + [F.interpolate(p(x), size, mode='bilinear', align_corners=True) for p in self.ppm], 1)
        x = F.interpolate(self.cls(x), size=(301, 301), mode='bilinear', align_corners=True)
        return self.heads(x)


def build(model_id):
    if model_id == 'ggcnn':
        return GGCNN()
    if model_id == 'ggcnn2':
        return GGCNN2()
    if model_id.startswith('pspnet-r'):  # pspnet-r18-w0.25
        depth, width = model_id[len('pspnet-r'):].split('-w')
        return PSPNet(int(depth), float(width))
    raise SystemExit(f'unknown model {model_id}')


def timed(fn, warmup, repeats, cpu=None):
    """Wall ms of each repeat; CPU ms of the process (all threads) appended to `cpu` when given."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c0) * 1000)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--size', type=int, default=300)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--no-train', action='store_true')
    ap.add_argument('--no-forward', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = build(a.model)
    params = sum(p.numel() for p in model.parameters())
    s, b = a.size, a.batch
    res = {'model': a.model, 'threads': a.threads, 'torch': torch.__version__, 'params': params, 'batch': b, 'inputSize': s}
    if not a.no_forward:
        model.eval()
        for bb, key in ((1, 'forward1'), (b, 'forwardB')):
            x = torch.rand(bb, 1, s, s)
            with torch.no_grad():
                res[key] = [t / bb for t in timed(lambda: model(x), a.warmup, a.repeats)]  # ms per image
    if not a.no_train:
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(b, 1, s, s)
        y = torch.rand(b, 4, s, s) * 2 - 1

        def step():
            opt.zero_grad()
            out = model(x)
            loss = sum(F.mse_loss(out[:, i], y[:, i]) for i in range(4))
            loss.backward()
            opt.step()
            return loss.item()

        cpu = []
        res['trainB'] = timed(step, a.warmup, a.repeats, cpu)  # ms per step
        res['trainCpuB'] = cpu
    print('TORCH_RESULT ' + json.dumps(res), flush=True)


if __name__ == '__main__':
    main()
