"""The PyTorch peer of bench:proxies: NAS-Bench-201's network and the gradient proxies in the
framework the published figures were computed in, so that a gap between nascent's rho and the
paper's can be told apart from a gap between nascent's tfjs code and PyTorch.

The network follows the benchmark's definition (TinyNetwork: stem conv 3x3 + BN, three stages of N
InferCells at C, 2C, 4C joined by ResNetBasicblocks, BN-ReLU, global pool, linear), with PyTorch's
default initialisation and batch normalisation in training mode, as Abdelfattah et al. 2021 ran it.
snip is sum |dL/dW * W|, grad_norm the sum over layers of ||dL/dW|| and grasp -sum W * (H dL/dW), each
over every Conv2d and Linear weight, L the mean cross-entropy of one minibatch of real CIFAR-10 training images.

    /usr/bin/python3 bench/peers/torch_nb201_proxies.py CELLS.jsonl DATA_DIR OUT.jsonl [--seed 1]
        [--batch 64] [--limit N] [--proxies snip,grad_norm,grasp]

CELLS.jsonl has one {"arch", "accuracy"} per line (data/proxy-scores/nb201-cifar10.jsonl does).
OUT.jsonl gets {"arch", "seed", "proxy", "score", "seconds"} per cell and proxy, as bench:proxies
writes them, and a run that is stopped goes on where it was. The last lines print each proxy's
Spearman rho with the accuracy over the cells scored.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.247, 0.2435, 0.2616)
EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]


def parse_cell(arch):
    """'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' -> the six edge operations in EDGES' order."""
    ops = {}
    for j, node in enumerate(arch.strip('|').split('|+|'), start=1):
        for edge in node.split('|'):
            op, i = edge.split('~')
            ops[(int(i), j)] = op
    return [ops[e] for e in EDGES]


class ReLUConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, stride):
        super().__init__(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def operation(op, c):
    if op == 'none':
        return Zero()
    if op == 'skip_connect':
        return nn.Identity()
    if op == 'nor_conv_1x1':
        return ReLUConvBN(c, c, 1, 1)
    if op == 'nor_conv_3x3':
        return ReLUConvBN(c, c, 3, 1)
    if op == 'avg_pool_3x3':
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    raise ValueError(f'unknown operation {op}')


class Cell(nn.Module):
    def __init__(self, ops, c):
        super().__init__()
        self.ops = nn.ModuleList(operation(op, c) for op in ops)

    def forward(self, x):
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(self.ops[k](nodes[i]) for k, (i, to) in enumerate(EDGES) if to == j))
        return nodes[3]


class Reduction(nn.Module):
    """ResNetBasicblock(cin, cout, stride 2): two ReLU-conv-BN plus an average-pool + 1x1 shortcut."""

    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cin, cout, 3, 2)
        self.b = ReLUConvBN(cout, cout, 3, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.shortcut(x) + self.b(self.a(x))


class Nb201(nn.Module):
    def __init__(self, arch, c=16, n=5, classes=10):
        super().__init__()
        ops = parse_cell(arch)
        layers = [nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c)]
        for stage in range(3):
            width = c * 2**stage
            if stage > 0:
                layers.append(Reduction(width // 2, width))
            layers.extend(Cell(ops, width) for _ in range(n))
        layers.extend([nn.BatchNorm2d(4 * c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()])
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(4 * c, classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def minibatch(data_dir, seed, size):
    """`size` training images drawn by `seed` from the CIFAR-10 binary batches, normalised (NCHW)."""
    root = os.path.join(data_dir, 'cifar-10-batches-bin') if os.path.isdir(os.path.join(data_dir, 'cifar-10-batches-bin')) else data_dir
    files = sorted(f for f in os.listdir(root) if f.startswith('data_batch_') and f.endswith('.bin'))
    raw = np.concatenate([np.fromfile(os.path.join(root, f), dtype=np.uint8).reshape(-1, 3073) for f in files])
    pick = np.random.default_rng(seed).permutation(len(raw))[:size]
    images = raw[pick, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255
    images = (images - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None, None]
    return torch.from_numpy(images), torch.from_numpy(raw[pick, 0].astype(np.int64))


def kernel_grads(net, x, y):
    """Every Conv2d and Linear weight with its gradient of the minibatch's mean cross-entropy."""
    net.train()
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return [(m.weight, m.weight.grad) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def snip(net, x, y):
    return sum(float((g * w).abs().sum()) for w, g in kernel_grads(net, x, y) if g is not None)


def grad_norm(net, x, y):
    return sum(float(g.norm()) for w, g in kernel_grads(net, x, y) if g is not None)


def grasp(net, x, y):
    """-Σ W ⊙ (H g) over every Conv2d and Linear weight, H g by double backpropagation as the paper's
    code computes it (compute_grasp_per_weight: g detached, then the gradient of g · ∇L)."""
    net.train()
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    g = torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True)
    first = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True, allow_unused=True)
    z = sum((gi.detach() * fi).sum() for gi, fi in zip(g, first) if gi is not None and fi is not None)
    hg = torch.autograd.grad(z, weights, allow_unused=True)
    return float(sum((-w.detach() * h).sum() for w, h in zip(weights, hg) if h is not None))


PROXIES = {'snip': snip, 'grad_norm': grad_norm, 'grasp': grasp}


def ranks(v):
    """Average ranks (ties share theirs), as Spearman's rho wants them."""
    v = np.asarray(v, dtype=np.float64)
    order = np.argsort(v, kind='mergesort')
    r = np.empty(len(v))
    sorted_v = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument('cells')
    p.add_argument('data_dir')
    p.add_argument('out')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--limit', type=int, default=0)
    p.add_argument('--proxies', default='snip,grad_norm', help='comma-separated, of ' + ','.join(PROXIES))
    a = p.parse_args()
    names = a.proxies.split(',')
    for name in names:
        if name not in PROXIES:
            p.error(f'unknown proxy {name!r}: expected some of {",".join(PROXIES)}')
    cells = [json.loads(l) for l in open(a.cells) if l.strip()]
    if a.limit:
        cells = cells[: a.limit]
    done = {}
    if os.path.exists(a.out):
        for l in open(a.out):
            if l.strip():
                r = json.loads(l)
                done[(r['arch'], r['seed'], r['proxy'])] = r
    x, y = minibatch(a.data_dir, a.seed, a.batch)
    with open(a.out, 'a') as out:
        for n, cell in enumerate(cells, start=1):
            for name in names:
                proxy = PROXIES[name]
                if (cell['arch'], a.seed, name) in done:
                    continue
                torch.manual_seed(a.seed * 100003 + n)
                started = time.perf_counter()
                score = proxy(Nb201(cell['arch']), x, y)
                r = {'arch': cell['arch'], 'seed': a.seed, 'proxy': name, 'score': score, 'seconds': time.perf_counter() - started}
                out.write(json.dumps(r) + '\n')
                out.flush()
                done[(cell['arch'], a.seed, name)] = r
            if n % 50 == 0:
                print(f'{n}/{len(cells)} cells', flush=True)
    accuracy = [c['accuracy'] for c in cells]
    for name in names:
        scores = [done[(c['arch'], a.seed, name)]['score'] for c in cells]
        seconds = np.mean([done[(c['arch'], a.seed, name)]['seconds'] for c in cells])
        print(f'{name}: rho {spearman(scores, accuracy):.3f} over {len(cells)} cells, {seconds:.3f} s per network (torch {torch.__version__}, {torch.get_num_threads()} threads)')


if __name__ == '__main__':
    main()
