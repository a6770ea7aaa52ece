#!/usr/bin/python3
"""Does int8 pay for the c-ResUnet's forward pass on this CPU with the LibTorch FluoCount builds on (Debian's 1.13)?
Issue 20 lists int8 convolutions as a lever. Debian's PyTorch, the same library as Debian's LibTorch, has no FBGEMM;
its quantized engines are 'onednn' and 'qnnpack'. This quantizes the peer's c-ResUnet (../shared/bench) with FX graph
mode post-training quantization (per-channel int8 weights, activations calibrated on the input; the transposed
convolutions stay float32, since 1.13 has no per-channel observer for them) and times its forward pass against the
float32 network in channels-last, as FluoCount runs it, and bfloat16 autocast. Run with tcmalloc preloaded:
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 /usr/bin/python3 tests/bench_int8_peer.py [HEIGHT WIDTH [ROUNDS]]
Prints each contender's median of 3 runs per round, the rounds alternating, and the largest heatmap difference.
The network's weights are random: timing does not depend on them.
"""
import copy, os, statistics, sys, time

import torch
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import pytorch_cresunet as peer  # noqa: E402


def median_seconds(run, repeats=3):
    run()  # warm-up: oneDNN builds its kernels on the first call
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def quantized(network, engine, example):
    torch.backends.quantized.engine = engine
    mapping = get_default_qconfig_mapping(engine).set_object_type(torch.nn.ConvTranspose2d, None)
    prepared = prepare_fx(copy.deepcopy(network), mapping, example_inputs=(example,))
    with torch.no_grad():
        prepared(example)  # calibration
    return convert_fx(prepared)


def main():
    height, width = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (1200, 1600)
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    network = peer.CResUnet().eval()
    image = torch.rand(1, 3, height, width)
    channels_last = copy.deepcopy(network).to(memory_format=torch.channels_last)
    image_channels_last = image.contiguous(memory_format=torch.channels_last)
    int8 = {engine: quantized(network, engine, image) for engine in ("onednn", "qnnpack")}

    def in_bfloat16():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return channels_last(image_channels_last)

    def in_int8(engine):
        def run():
            torch.backends.quantized.engine = engine
            return int8[engine](image)
        return run

    contenders = {"float32 channels-last": lambda: channels_last(image_channels_last),
                  "bfloat16 autocast": in_bfloat16,
                  "int8 onednn": in_int8("onednn"),
                  "int8 qnnpack": in_int8("qnnpack")}
    print(f"c-ResUnet forward, 1x3x{height}x{width}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    with torch.inference_mode():
        reference = network(image)
        for name in ("int8 onednn", "int8 qnnpack"):
            difference = (contenders[name]().float() - reference).abs().max().item()
            print(f"{name}: largest heatmap difference from float32 {difference:.4f}")
        times = {name: [] for name in contenders}
        for round_number in range(rounds):
            for name, run in contenders.items():
                times[name].append(median_seconds(run))
            print(f"round {round_number + 1}: " + ", ".join(f"{n} {t[-1]:.3f} s" for n, t in times.items()))
        base = statistics.median(times["float32 channels-last"])
        for name, measured in times.items():
            value = statistics.median(measured)
            print(f"{name:24s} median {value:.3f} s  {value / base:.2f}x the float32 time")


if __name__ == "__main__":
    main()
