#!/usr/bin/python3
"""Which layout and up-sampling give the fastest float32 training step of the peer's c-ResUnet in Python PyTorch
(batch 4 of 512x512, BCE, Adam)? The README's performance section quotes it: FluoCount's training levers
(channels-last, transposed convolutions as pixel shuffles) applied to the peer, to tell LibTorch's floor from
FluoCount's own work. Run with tcmalloc preloaded, as the tuned peer is, one variant per process, alternating:
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 /usr/bin/python3 tests/bench_training_step_variants.py VARIANT
VARIANT holds any of: ps (pixel shuffles), cl (channels-last), ip (ELU in place), fd (flush denormals); 'base' for
none. Needs ../shared/bench/pytorch_cresunet.py beside the repository.
"""
import os, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import pytorch_cresunet as peer  # noqa: E402


class PixelShuffleUp(nn.Module):
    """A 2x2 stride-2 transposed convolution as a 1x1 convolution to 4x the channels and a pixel shuffle."""

    def __init__(self, transposed):
        super().__init__()
        self.transposed = transposed

    def forward(self, x):
        w = self.transposed.weight
        inputs, outputs = w.shape[0], w.shape[1]
        pointwise = w.permute(1, 2, 3, 0).reshape(outputs * 4, inputs, 1, 1)
        return F.pixel_shuffle(F.conv2d(x, pointwise, self.transposed.bias.repeat_interleave(4)), 2)


def elu_in_place_forward(block, x):
    x = block.c1(F.elu(block.bn1(x), inplace=True))
    return block.c2(F.elu(block.bn2(x), inplace=True))


def main():
    variant = sys.argv[1] if len(sys.argv) > 1 else "base"
    torch.set_num_threads(2)
    if "ip" in variant:
        peer.ConvBlock.forward = elu_in_place_forward
    if "fd" in variant:
        torch.set_flush_denormal(True)
    torch.manual_seed(0)
    net = peer.CResUnet().train()
    if "ps" in variant:
        for up in (net.up1, net.up2, net.up3):
            up.up = PixelShuffleUp(up.up)
    layout = torch.channels_last if "cl" in variant else torch.contiguous_format
    net = net.to(memory_format=layout)
    optimiser = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.rand(4, 3, 512, 512).contiguous(memory_format=layout)
    target = (torch.rand(4, 1, 512, 512) > 0.9).float()

    def step():
        optimiser.zero_grad()
        F.binary_cross_entropy(net(x), target).backward()
        optimiser.step()

    step()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(f"{variant}: median {statistics.median(times):.3f} s  min {min(times):.3f} s")


if __name__ == "__main__":
    main()
