#include "core/inference_kernels.h"

#include <ATen/Parallel.h>
#include <ATen/ops/addcmul.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/elu.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/max_pool2d.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

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

}  // namespace

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

}  // namespace fluocount
