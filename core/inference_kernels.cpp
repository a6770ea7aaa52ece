#include "core/inference_kernels.h"

#include <ATen/Parallel.h>
#include <ATen/ops/addcmul.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/elu.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/max_pool2d.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

// GCC compiles each loop below once per instruction set and picks one when the program starts, so that a build for
// any x86-64 CPU still runs AVX-512 or AVX2 code where the CPU has it. This file is compiled with
// -ffp-contract=off (core/CMakeLists.txt), so every version rounds the same way, and with -fno-trapping-math, without
// which GCC does not vectorise a loop that computes exp for values ELU then discards.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FLUOCOUNT_EACH_VECTOR_ISA __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FLUOCOUNT_EACH_VECTOR_ISA
#endif

namespace fluocount {
namespace {

// ELU(v) = v for v > 0, exp(v) - 1 otherwise, as LibTorch computes it (exp, then minus one). The exponential is
// Cephes' expf (range reduction by ln 2 in two parts, a degree-5 polynomial, then 2^n put in the exponent bits),
// within about 1 ulp of the exact value on [-87, 0], as LibTorch's own (SLEEF's, 1 ulp) is. It is written without
// library calls so that the compiler vectorises the loops around it; below -87 the result is -1 in float32 anyway.
inline __attribute__((always_inline)) float eluOf(float v) {
  const float x = std::max(std::min(v, 0.0f), -87.0f);
  // n = round(x / ln 2): adding and subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer.
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float expOfR = p * (r * r) + r + 1.0f;
  const std::int32_t exponentBits = (static_cast<std::int32_t>(n) + 127) << 23;
  float twoToN;
  std::memcpy(&twoToN, &exponentBits, sizeof twoToN);
  return v > 0.0f ? v : expOfR * twoToN - 1.0f;
}

// out[p][c] = ELU(in[p][c] * scale[c] + shift[c]) for `pixels` pixels of `channels` values each, the pixels of
// `in` and `out` lying `inStride` and `outStride` floats apart (channels-last rows, or one half of a concatenation).
FLUOCOUNT_EACH_VECTOR_ISA
void scaleShiftEluPixels(const float* in, std::int64_t inStride, float* out, std::int64_t outStride,
                         std::int64_t pixels, std::int64_t channels, const float* scale, const float* shift) {
  for (std::int64_t p = 0; p < pixels; ++p) {
    const float* from = in + p * inStride;
    float* to = out + p * outStride;
    for (std::int64_t c = 0; c < channels; ++c) to[c] = eluOf(from[c] * scale[c] + shift[c]);
  }
}

// out[j][c] = the largest of the 2x2 block of pixels (2j, 2j+1 of rows `top` and `bottom`), channel by channel,
// for `pixels` output pixels; NaN wins, as in LibTorch's pooling.
FLUOCOUNT_EACH_VECTOR_ISA
void maxOfBlocks(const float* top, const float* bottom, std::int64_t inStride, float* out, std::int64_t pixels,
                 std::int64_t channels) {
  // NaN in either wins (a NaN b is never greater); written so that GCC vectorises it.
  const auto larger = [](float a, float b) {
    const float greater = a > b ? a : b;
    return a != a ? a : greater;
  };
  for (std::int64_t j = 0; j < pixels; ++j) {
    const float *a = top + 2 * j * inStride, *b = a + inStride, *c = bottom + 2 * j * inStride, *d = c + inStride;
    float* to = out + j * channels;
    for (std::int64_t k = 0; k < channels; ++k) to[k] = larger(larger(a[k], b[k]), larger(c[k], d[k]));
  }
}

FLUOCOUNT_EACH_VECTOR_ISA
void eluValues(float* values, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) values[i] = eluOf(values[i]);
}

// lo[c] and hi[c] take in the smallest and largest of channel c over `pixels` pixels lying `stride` values apart.
template <typename Value>
inline __attribute__((always_inline)) void foldRanges(const Value* in, std::int64_t stride, std::int64_t pixels,
                                                      std::int64_t channels, Value* lo, Value* hi) {
  for (std::int64_t p = 0; p < pixels; ++p) {
    const Value* from = in + p * stride;
    for (std::int64_t c = 0; c < channels; ++c) {
      lo[c] = from[c] < lo[c] ? from[c] : lo[c];
      hi[c] = from[c] > hi[c] ? from[c] : hi[c];
    }
  }
}
FLUOCOUNT_EACH_VECTOR_ISA
void foldChannelRanges(const float* in, std::int64_t stride, std::int64_t pixels, std::int64_t channels, float* lo,
                       float* hi) {
  foldRanges(in, stride, pixels, channels, lo, hi);
}
FLUOCOUNT_EACH_VECTOR_ISA
void foldChannelRanges(const std::int32_t* in, std::int64_t stride, std::int64_t pixels, std::int64_t channels,
                       std::int32_t* lo, std::int32_t* hi) {
  foldRanges(in, stride, pixels, channels, lo, hi);
}

// Quantizing runs in two loops: values to levels (value / step + zero point) in float32, pixel by pixel, then
// levels to bytes over a whole row at once. In one loop per pixel GCC vectorises the byte stores 32 channels at a
// time, and the blocks with 16 channels (the full-resolution ones, most of the pixels) ran in scalar code.

// Levels to the nearest of the 7-bit levels [0, 127], as bytes.
FLUOCOUNT_EACH_VECTOR_ISA
void levelsToBytes(const float* levels, std::uint8_t* out, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    const float clamped = std::min(std::max(levels[i], 0.0f), float(kQuantizedLevels));
    out[i] = static_cast<std::uint8_t>(static_cast<std::int32_t>(clamped + 0.5f));
  }
}

// out[p][c] = ELU(in[p][c] * scale[c] + shift[c]) as a level, pixels `inStride` and `outStride` values apart.
FLUOCOUNT_EACH_VECTOR_ISA
void scaleShiftEluLevels(const float* in, std::int64_t inStride, float* out, std::int64_t outStride,
                         std::int64_t pixels, std::int64_t channels, const float* scale, const float* shift,
                         float inverseStep, float zeroPoint) {
  for (std::int64_t p = 0; p < pixels; ++p) {
    const float* from = in + p * inStride;
    float* to = out + p * outStride;
    for (std::int64_t c = 0; c < channels; ++c) to[c] = eluOf(from[c] * scale[c] + shift[c]) * inverseStep + zeroPoint;
  }
}

// The same from a convolution's accumulators: ELU(in * multiplier[c] + bias[c]) as a level.
FLUOCOUNT_EACH_VECTOR_ISA
void accumulatorEluLevels(const std::int32_t* in, float* out, std::int64_t pixels, std::int64_t channels,
                          const float* multiplier, const float* bias, float inverseStep, float zeroPoint) {
  for (std::int64_t p = 0; p < pixels; ++p)
    for (std::int64_t c = 0; c < channels; ++c)
      out[p * channels + c] =
          eluOf(static_cast<float>(in[p * channels + c]) * multiplier[c] + bias[c]) * inverseStep + zeroPoint;
}

// A scratch row of levels for the calling thread (LibTorch's threads live as long as the process).
float* levelsBuffer(std::int64_t values) {
  thread_local std::vector<float> buffer;
  if (std::int64_t(buffer.size()) < values) buffer.resize(values);
  return buffer.data();
}

FLUOCOUNT_EACH_VECTOR_ISA
void accumulatorPixelsToFloat(const std::int32_t* in, float* out, std::int64_t pixels, std::int64_t channels,
                              const float* multiplier, const float* bias) {
  for (std::int64_t p = 0; p < pixels; ++p)
    for (std::int64_t c = 0; c < channels; ++c)
      out[p * channels + c] = static_cast<float>(in[p * channels + c]) * multiplier[c] + bias[c];
}

// A tensor whose memory the loops above read as it is: float32 on the CPU, 4-d, each pixel's channels adjacent
// (channels-last). Its rows may lie apart, as in a tile cut out of a larger tensor (narrow along height or width).
bool fusible(const at::Tensor& x) {
  return x.device().is_cpu() && x.scalar_type() == at::kFloat && x.dim() == 4 && (x.size(1) == 1 || x.stride(1) == 1) &&
         x.stride(3) >= x.size(1);
}

bool fusibleAffine(const at::Tensor& scale, const at::Tensor& shift, std::int64_t channels) {
  return scale.device().is_cpu() && shift.device().is_cpu() && scale.scalar_type() == at::kFloat &&
         shift.scalar_type() == at::kFloat && scale.numel() == channels && shift.numel() == channels;
}

at::Tensor emptyChannelsLast(at::IntArrayRef sizes, const at::Tensor& like) {
  return at::empty(sizes, like.options().memory_format(at::MemoryFormat::ChannelsLast));
}

// The first pixel of row (image n, line h) of a 4-d tensor.
float* rowOf(const at::Tensor& x, std::int64_t row) {
  const std::int64_t n = row / x.size(2), h = row % x.size(2);
  return x.data_ptr<float>() + n * x.stride(0) + h * x.stride(2);
}

// Calls work(begin, end) on ranges of the tensor's image rows (N x H of them), shared out among LibTorch's threads
// in tasks of about kPixelsPerTask pixels: enough that a thread's start-up is small beside its work, few enough to
// share out a tile.
constexpr std::int64_t kPixelsPerTask = 2048;
template <typename Work>
void forEachRows(const at::Tensor& x, const Work& work) {
  const std::int64_t rows = x.size(0) * x.size(2);
  const std::int64_t rowsPerTask = std::max<std::int64_t>(1, kPixelsPerTask / std::max<std::int64_t>(1, x.size(3)));
  at::parallel_for(0, rows, rowsPerTask, work);
}

// Per-channel minimum and maximum over `rows` rows, each folded by fold(row, lo, hi), shared out among LibTorch's
// threads (each a partial range, merged at the end).
template <typename Value, typename Fold>
std::pair<std::vector<Value>, std::vector<Value>> channelRanges(std::int64_t rows, std::int64_t channels,
                                                                const Fold& fold) {
  const std::int64_t parts = std::max<std::int64_t>(1, std::min<std::int64_t>(rows, 4 * at::get_num_threads()));
  std::vector<std::vector<Value>> los(parts, std::vector<Value>(channels, std::numeric_limits<Value>::max())),
      his(parts, std::vector<Value>(channels, std::numeric_limits<Value>::lowest()));
  at::parallel_for(0, parts, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t part = begin; part < end; ++part)
      for (std::int64_t row = part * rows / parts; row < (part + 1) * rows / parts; ++row)
        fold(row, los[part].data(), his[part].data());
  });
  for (std::int64_t part = 1; part < parts; ++part)
    for (std::int64_t c = 0; c < channels; ++c) {
      los[0][c] = std::min(los[0][c], los[part][c]);
      his[0][c] = std::max(his[0][c], his[part][c]);
    }
  return {std::move(los[0]), std::move(his[0])};
}

// The step and zero point that spread [lo, hi] (zero included) over the 7-bit levels.
QuantizedActivations quantizationFor(float lo, float hi, at::IntArrayRef sizes) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  QuantizedActivations q;
  q.scale = (hi - lo) / float(kQuantizedLevels);
  // All zeros (a step of 0), or values no float range holds (NaN in the input): any step quantizes them alike.
  if (!(q.scale > 0.0f) || !std::isfinite(q.scale)) q.scale = 1.0f;
  q.zeroPoint = std::clamp(static_cast<std::int32_t>(std::lround(-lo / q.scale)), 0, kQuantizedLevels);
  q.values = at::empty(sizes, at::TensorOptions().dtype(at::kByte).memory_format(at::MemoryFormat::ChannelsLast));
  return q;
}

// The range of ELU(v * scale[c] + shift[c]) over all channels, from each channel's range of v (the scale's sign
// decides which end maps to which; ELU keeps the order).
template <typename Value>
std::pair<float, float> eluRangeOf(const std::vector<Value>& lo, const std::vector<Value>& hi, const float* scale,
                                   const float* shift) {
  float low = std::numeric_limits<float>::max(), high = std::numeric_limits<float>::lowest();
  for (std::size_t c = 0; c < lo.size(); ++c) {
    const float a = float(lo[c]) * scale[c] + shift[c], b = float(hi[c]) * scale[c] + shift[c];
    low = std::min(low, eluOf(std::min(a, b)));
    high = std::max(high, eluOf(std::max(a, b)));
  }
  return {low, high};
}

std::uint8_t* byteRowOf(const at::Tensor& q, std::int64_t row) {
  return q.data_ptr<std::uint8_t>() + row * q.size(3) * q.size(1);
}

// Each pixel row of a float tensor whose channels the loops can read, folded into per-channel ranges.
std::pair<std::vector<float>, std::vector<float>> floatChannelRanges(const at::Tensor& x) {
  const std::int64_t width = x.size(3), channels = x.size(1);
  return channelRanges<float>(x.size(0) * x.size(2), channels, [&](std::int64_t row, float* lo, float* hi) {
    foldChannelRanges(static_cast<const float*>(rowOf(x, row)), x.stride(3), width, channels, lo, hi);
  });
}

}  // namespace

bool runsFusedLoops(const at::Tensor& x) { return fusible(x); }

int threadsTheLoopsRunOn() {
  const int threads = at::get_num_threads();
  std::vector<std::atomic<bool>> ran(static_cast<std::size_t>(threads));
  at::parallel_for(0, std::int64_t(threads) * 64, 1, [&](std::int64_t, std::int64_t) {
    ran[static_cast<std::size_t>(std::clamp(at::get_thread_num(), 0, threads - 1))] = true;
  });
  return static_cast<int>(std::count(ran.begin(), ran.end(), true));
}

at::Tensor scaleShiftElu(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& shift, bool inPlace) {
  if (!fusible(x) || !fusibleAffine(scale, shift, x.size(1))) {
    at::Tensor y = inPlace ? x.mul_(scale).add_(shift) : at::addcmul(shift, x, scale);
    return at::elu_(y);
  }
  at::Tensor y = inPlace ? x : emptyChannelsLast(x.sizes(), x);
  const at::Tensor scales = scale.contiguous(), shifts = shift.contiguous();
  const std::int64_t channels = x.size(1), width = x.size(3);
  forEachRows(x, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row)
      scaleShiftEluPixels(rowOf(x, row), x.stride(3), rowOf(y, row), y.stride(3), width, channels,
                          scales.data_ptr<float>(), shifts.data_ptr<float>());
  });
  return y;
}

at::Tensor concatScaleShiftElu(const at::Tensor& first, const at::Tensor& second, const at::Tensor& scale,
                               const at::Tensor& shift) {
  const bool sameGrid = first.dim() == 4 && second.dim() == 4 && first.size(0) == second.size(0) &&
                        first.size(2) == second.size(2) && first.size(3) == second.size(3);
  if (!sameGrid || !fusible(first) || !fusible(second) || !fusibleAffine(scale, shift, first.size(1) + second.size(1)))
    return scaleShiftElu(at::cat({first, second}, 1), scale, shift, /*inPlace=*/true);
  const std::int64_t a = first.size(1), channels = a + second.size(1), width = first.size(3);
  at::Tensor y = emptyChannelsLast({first.size(0), channels, first.size(2), width}, first);
  const at::Tensor scales = scale.contiguous(), shifts = shift.contiguous();
  const float *scaleData = scales.data_ptr<float>(), *shiftData = shifts.data_ptr<float>();
  forEachRows(y, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      float* out = rowOf(y, row);
      scaleShiftEluPixels(rowOf(first, row), first.stride(3), out, channels, width, a, scaleData, shiftData);
      scaleShiftEluPixels(rowOf(second, row), second.stride(3), out + a, channels, width, channels - a, scaleData + a,
                          shiftData + a);
    }
  });
  return y;
}

void eluInPlace(at::Tensor& x) {
  if (!fusible(x) || !x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    at::elu_(x);
    return;
  }
  float* values = x.data_ptr<float>();
  at::parallel_for(0, x.numel(), kPixelsPerTask * 16,
                   [&](std::int64_t begin, std::int64_t end) { eluValues(values + begin, end - begin); });
}

at::Tensor maxPool2x2(const at::Tensor& x) {
  if (!fusible(x)) return at::max_pool2d(x, 2);
  const std::int64_t channels = x.size(1), height = x.size(2) / 2, width = x.size(3) / 2;
  at::Tensor y = emptyChannelsLast({x.size(0), channels, height, width}, x);
  if (y.numel() == 0) return y;
  forEachRows(y, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      // Output row (n, i) reads input rows (n, 2i) and (n, 2i + 1).
      const std::int64_t n = row / height, i = row % height;
      const float* top = x.data_ptr<float>() + n * x.stride(0) + 2 * i * x.stride(2);
      maxOfBlocks(top, top + x.stride(2), x.stride(3), rowOf(y, row), width, channels);
    }
  });
  return y;
}

QuantizedActivations quantizeScaleShiftElu(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& shift) {
  TORCH_CHECK(fusible(x) && fusibleAffine(scale, shift, x.size(1)), "quantizeScaleShiftElu: not a fusible tensor");
  const at::Tensor scales = scale.contiguous(), shifts = shift.contiguous();
  const float *scaleData = scales.data_ptr<float>(), *shiftData = shifts.data_ptr<float>();
  const auto [lo, hi] = floatChannelRanges(x);
  const auto [low, high] = eluRangeOf(lo, hi, scaleData, shiftData);
  QuantizedActivations q = quantizationFor(low, high, x.sizes());
  const float inverseStep = 1.0f / q.scale, zeroPoint = float(q.zeroPoint);
  const std::int64_t channels = x.size(1), width = x.size(3);
  forEachRows(x, [&](std::int64_t begin, std::int64_t end) {
    float* levels = levelsBuffer(width * channels);
    for (std::int64_t row = begin; row < end; ++row) {
      scaleShiftEluLevels(rowOf(x, row), x.stride(3), levels, channels, width, channels, scaleData, shiftData,
                          inverseStep, zeroPoint);
      levelsToBytes(levels, byteRowOf(q.values, row), width * channels);
    }
  });
  return q;
}

QuantizedActivations quantizeConcatScaleShiftElu(const at::Tensor& first, const at::Tensor& second,
                                                 const at::Tensor& scale, const at::Tensor& shift) {
  const bool sameGrid = first.dim() == 4 && second.dim() == 4 && first.size(0) == second.size(0) &&
                        first.size(2) == second.size(2) && first.size(3) == second.size(3);
  if (!sameGrid || !fusible(first) || !fusible(second))
    return quantizeScaleShiftElu(at::cat({first, second}, 1).contiguous(at::MemoryFormat::ChannelsLast), scale, shift);
  const std::int64_t a = first.size(1), channels = a + second.size(1), width = first.size(3);
  TORCH_CHECK(fusibleAffine(scale, shift, channels), "quantizeConcatScaleShiftElu: scale and shift do not fit");
  const at::Tensor scales = scale.contiguous(), shifts = shift.contiguous();
  const float *scaleData = scales.data_ptr<float>(), *shiftData = shifts.data_ptr<float>();
  auto [lo, hi] = floatChannelRanges(first);
  const auto [secondLo, secondHi] = floatChannelRanges(second);
  lo.insert(lo.end(), secondLo.begin(), secondLo.end());
  hi.insert(hi.end(), secondHi.begin(), secondHi.end());
  const auto [low, high] = eluRangeOf(lo, hi, scaleData, shiftData);
  QuantizedActivations q = quantizationFor(low, high, {first.size(0), channels, first.size(2), width});
  const float inverseStep = 1.0f / q.scale, zeroPoint = float(q.zeroPoint);
  forEachRows(q.values, [&](std::int64_t begin, std::int64_t end) {
    float* levels = levelsBuffer(width * channels);
    for (std::int64_t row = begin; row < end; ++row) {
      scaleShiftEluLevels(rowOf(first, row), first.stride(3), levels, channels, width, a, scaleData, shiftData,
                          inverseStep, zeroPoint);
      scaleShiftEluLevels(rowOf(second, row), second.stride(3), levels + a, channels, width, channels - a,
                          scaleData + a, shiftData + a, inverseStep, zeroPoint);
      levelsToBytes(levels, byteRowOf(q.values, row), width * channels);
    }
  });
  return q;
}

namespace {
void checkAccumulators(const at::Tensor& acc, const at::Tensor& multiplier, const at::Tensor& bias) {
  TORCH_CHECK(acc.device().is_cpu() && acc.scalar_type() == at::kInt && acc.dim() == 4 &&
                  acc.is_contiguous(at::MemoryFormat::ChannelsLast),
              "accumulators must be int32, channels-last and contiguous on the CPU");
  TORCH_CHECK(fusibleAffine(multiplier, bias, acc.size(1)), "one multiplier and one bias per channel");
}
}  // namespace

QuantizedActivations quantizeAccumulatorsElu(const at::Tensor& accumulators, const at::Tensor& multiplier,
                                             const at::Tensor& bias) {
  checkAccumulators(accumulators, multiplier, bias);
  const std::int64_t channels = accumulators.size(1), width = accumulators.size(3);
  const std::int32_t* acc = accumulators.data_ptr<std::int32_t>();
  const float *multiplierData = multiplier.data_ptr<float>(), *biasData = bias.data_ptr<float>();
  const auto [lo, hi] = channelRanges<std::int32_t>(
      accumulators.size(0) * accumulators.size(2), channels, [&](std::int64_t row, std::int32_t* l, std::int32_t* h) {
        foldChannelRanges(acc + row * width * channels, channels, width, channels, l, h);
      });
  const auto [low, high] = eluRangeOf(lo, hi, multiplierData, biasData);
  QuantizedActivations q = quantizationFor(low, high, accumulators.sizes());
  const float inverseStep = 1.0f / q.scale, zeroPoint = float(q.zeroPoint);
  std::uint8_t* out = q.values.data_ptr<std::uint8_t>();
  at::parallel_for(0, accumulators.numel() / channels, kPixelsPerTask, [&](std::int64_t begin, std::int64_t end) {
    constexpr std::int64_t kPixelsPerPass = 256;  // the levels stay in the core's first-level cache
    float* levels = levelsBuffer(kPixelsPerPass * channels);
    for (std::int64_t from = begin; from < end; from += kPixelsPerPass) {
      const std::int64_t pixels = std::min(kPixelsPerPass, end - from);
      accumulatorEluLevels(acc + from * channels, levels, pixels, channels, multiplierData, biasData, inverseStep,
                           zeroPoint);
      levelsToBytes(levels, out + from * channels, pixels * channels);
    }
  });
  return q;
}

at::Tensor accumulatorsToFloat(const at::Tensor& accumulators, const at::Tensor& multiplier, const at::Tensor& bias) {
  checkAccumulators(accumulators, multiplier, bias);
  const std::int64_t channels = accumulators.size(1);
  at::Tensor out = at::empty(accumulators.sizes(),
                             at::TensorOptions().dtype(at::kFloat).memory_format(at::MemoryFormat::ChannelsLast));
  const std::int32_t* acc = accumulators.data_ptr<std::int32_t>();
  float* to = out.data_ptr<float>();
  const float *multiplierData = multiplier.data_ptr<float>(), *biasData = bias.data_ptr<float>();
  at::parallel_for(0, accumulators.numel() / channels, kPixelsPerTask, [&](std::int64_t begin, std::int64_t end) {
    accumulatorPixelsToFloat(acc + begin * channels, to + begin * channels, end - begin, channels, multiplierData,
                             biasData);
  });
  return out;
}

}  // namespace fluocount
