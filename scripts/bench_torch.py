#!/usr/bin/python3
"""One Gatys iteration in PyTorch, for comparison with `stylelab bench`.

Forward through VGG-19 to conv5_1 (average pooling), content loss at conv4_2,
Gram style losses at conv1_1..conv5_1, backward to the image only (no weight
gradients). Prints one JSON line per size, each measured in its own process so
that the peak memory is that size's. Usage: bench_torch.py [-n N] [SIZE ...]
"""
import argparse
import json
import resource
import subprocess
import sys
import time

import torch
import torch.nn as nn

CFG = [64, 64, "P", 128, 128, "P", 256, 256, 256, 256, "P", 512, 512, 512, 512, "P", 512]
STYLE = {0, 2, 4, 8, 12}  # conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 (conv index)
CONTENT = 9  # conv4_2


def features():
    layers, cin = [], 3
    for v in CFG:
        if v == "P":
            layers.append(nn.AvgPool2d(2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    net = nn.Sequential(*layers).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def taps(net, x):
    out, conv = {}, 0
    for layer in net:
        x = layer(x)
        if isinstance(layer, nn.ReLU):
            out[conv] = x
            conv += 1
    return out


def gram(f):
    c = f.shape[1]
    f = f.reshape(c, -1)
    return f @ f.t()


def measure(size, n):
    torch.manual_seed(0)
    net = features()
    content, style = torch.rand(1, 3, size, size) * 255, torch.rand(1, 3, size, size) * 255
    with torch.no_grad():
        p = taps(net, content)[CONTENT]
        a = {i: gram(f) for i, f in taps(net, style).items() if i in STYLE}
    x = torch.rand(1, 3, size, size, requires_grad=True)

    def step():
        t = taps(net, x)
        loss = 0.5 * ((t[CONTENT] - p) ** 2).sum()
        for i in STYLE:
            nl, ml = t[i].shape[1], t[i].shape[2] * t[i].shape[3]
            loss = loss + 1e3 * 0.2 * ((gram(t[i]) - a[i]) ** 2).sum() / (4 * nl * nl * ml * ml)
        x.grad = None
        loss.backward()

    step()
    start = time.perf_counter()
    for _ in range(n):
        step()
    per = (time.perf_counter() - start) / n
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"size": size, "seconds_per_iteration": per, "peak_rss_bytes": peak,
            "threads": torch.get_num_threads(), "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--child", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("sizes", type=int, nargs="*", default=[256, 512])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        print(json.dumps(measure(args.child, args.n)))
        return
    for s in args.sizes:
        out = subprocess.run([sys.executable, __file__, "-n", str(args.n), "--threads", str(args.threads), "--child", str(s)],
                             check=True, capture_output=True, text=True).stdout
        sys.stdout.write(out)


if __name__ == "__main__":
    main()
