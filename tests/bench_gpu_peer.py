#!/usr/bin/python3
"""The Python peer on a CUDA GPU, configured as a Python user would tune it: the c-ResUnet of the shared peer script
(../shared/bench/pytorch_cresunet.py, imported, not copied), timed at the sizes fluocount-nn-check uses (forward on
1x3x1200x1600 under inference_mode, one Adam step on 4x3x512x512), in float32 and under bfloat16 autocast, NCHW
and channels-last, cuDNN's algorithm search (cudnn.benchmark) off and on; then torch.compile of the best eager
configuration. Medians of --runs after warm-up, with CUDA synchronised around each; peak GPU memory per row.
  bench_gpu_peer.py --peer PATH [--runs N] [--no-compile | --compile-only] [--compile-arithmetic float32,bfloat16]
                    [--device cpu]
(--device cpu only checks the script where there is no GPU; its timings are not the CPU peer's: see `bench`.)
Prints one row per configuration in the layout of fluocount-nn-check's lever table, so the two sit side by side.
"""
import argparse
import importlib.util
import statistics
import time

import torch
import torch.nn.functional as F


def load_peer(path):
    spec = importlib.util.spec_from_file_location("peer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CResUnet


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def median_seconds(work, runs, device):
    work()
    synchronize(device)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(network_class, bfloat16, channels_last, search, runs, device, compile_network=False):
    torch.backends.cudnn.benchmark = search
    torch.manual_seed(1)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    network = network_class().to(device).to(memory_format=layout)
    run = torch.compile(network) if compile_network else network
    autocast = lambda: torch.autocast(device, dtype=torch.bfloat16, enabled=bfloat16)

    network.eval()
    slide = torch.rand(1, 3, 1200, 1600, device=device).contiguous(memory_format=layout)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    def forward():
        with torch.inference_mode(), autocast():
            run(slide)

    forward_s = median_seconds(forward, runs, device)
    forward_peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0

    network.train()
    optimizer = torch.optim.Adam(network.parameters(), 1e-3)
    images = torch.rand(4, 3, 512, 512, device=device).contiguous(memory_format=layout)
    target = (torch.rand(4, 1, 512, 512, device=device) > 0.8).float()

    def step():
        optimizer.zero_grad()
        with autocast():
            probabilities = run(images)
        # Outside autocast: binary_cross_entropy refuses it; the loss in float32 as FluoCount computes it.
        loss = F.binary_cross_entropy(probabilities.float(), target)
        loss.backward()
        optimizer.step()

    step_s = median_seconds(step, runs, device)
    name = ("bfloat16" if bfloat16 else "float32") + (" channels-last" if channels_last else " NCHW")
    name += (" search" if search else "") + (" compiled" if compile_network else "")
    print(f"{name:<32} {forward_s * 1e3:12.2f} ms {step_s * 1e3:14.2f} ms {4 / step_s:10.1f}"
          f"   peak {forward_peak:.0f} MiB forward", flush=True)
    return forward_s, step_s


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--compile-only", action="store_true")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--compile-arithmetic", default="float32,bfloat16",
                        help="which arithmetic(s) to compile, comma-separated (compiling each takes minutes)")
    args = parser.parse_args()
    network_class = load_peer(args.peer)
    where = torch.cuda.get_device_name(0) if args.device == "cuda" else "the CPU"
    print(f"Python PyTorch {torch.__version__} on {where}, median of {args.runs} runs")
    print(f"{'peer: arithmetic, layout':<32} {'forward 1200x1600':>15} {'step 4x512x512':>17} {'crops/s':>10}")
    if not args.compile_only:
        for bfloat16 in (False, True):
            for channels_last in (False, True):
                for search in (False, True):
                    measure(network_class, bfloat16, channels_last, search, args.runs, args.device)
    if not args.no_compile:
        for bfloat16 in [name == "bfloat16" for name in args.compile_arithmetic.split(",")]:
            try:
                measure(network_class, bfloat16, True, True, args.runs, args.device, compile_network=True)
            except Exception as error:  # a compiler failure is a figure we report, not a crash
                print(f"torch.compile ({'bfloat16' if bfloat16 else 'float32'}) failed: {error}", flush=True)


if __name__ == "__main__":
    main()
