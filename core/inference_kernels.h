#pragma once
// Inference's memory-bound passes as single loops: batch normalisation with running statistics (a per-channel scale
// and shift) followed by ELU, optionally reading the two halves of a concatenation straight from its parts; and the
// 2x2 max pooling without the indices only training needs. LibTorch runs each as its own pass over the activations
// (addcmul or mul_ + add_, then elu_, cat; max_pool2d_with_indices): on this project's 2-core machine about a fifth
// of the forward pass at 1600x1200 beside oneDNN's convolutions, of which the loops here take less than half.
//
// The loops handle float32 CPU tensors whose channels are adjacent in memory (channels-last, NHWC), which is how
// counting runs on the CPU (preferredActivationLayout). Any other tensor (bfloat16, CUDA, NCHW) takes LibTorch's
// own operations, so every function here gives the same values either way: exactly for the pooling, to float32
// rounding for ELU (whose exponential is the loops' own; see the .cpp).
#include "core/torch_tensor_include.h"

#include <cstdint>

namespace fluocount {

// ELU(x * scale + shift), per channel; scale and shift are float32 tensors of x's channel count in any shape
// (e.g. 1 x C x 1 x 1). With inPlace, x itself is overwritten and returned.
at::Tensor scaleShiftElu(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& shift, bool inPlace);

// scaleShiftElu(cat({first, second}, 1), scale, shift, true) without the concatenation's own pass.
at::Tensor concatScaleShiftElu(const at::Tensor& first, const at::Tensor& second, const at::Tensor& scale,
                               const at::Tensor& shift);

// ELU(x) in place.
void eluInPlace(at::Tensor& x);

// max_pool2d(x, 2) for inference: no gradient can flow through it.
at::Tensor maxPool2x2(const at::Tensor& x);

// How many of LibTorch's threads the loops here share a large tensor's rows among: at::get_num_threads() where this
// file was compiled with OpenMP (core/CMakeLists.txt), 1 where the pragma in at::parallel_for was left out.
int threadsTheLoopsRunOn();

// Whether the loops here run on x as it is (float32 on the CPU, 4-d, channels adjacent in memory); the 8-bit
// functions below need it.
bool runsFusedLoops(const at::Tensor& x);

// Activations in 7-bit unsigned integers, one scale and zero point per tensor: value = (q - zeroPoint) * scale, for
// the int8 convolutions (core/int8_convolution.h). Seven bits, not eight: without AVX-512 VNNI, oneDNN multiplies
// unsigned 8-bit activations by signed 8-bit weights with an instruction (vpmaddubsw) that adds each pair of
// products in 16 bits, which saturates for 8-bit activations (2 x 255 x 127 > 32767) and cannot for 7-bit ones.
// The range is the tensor's own (its minimum and maximum, zero included, so that zero padding is exact): each
// tile of a slide is quantized for its own values.
struct QuantizedActivations {
  at::Tensor values;  // uint8, N x C x H x W, channels-last and contiguous
  float scale = 1.0f;
  std::int32_t zeroPoint = 0;
};
constexpr int kQuantizedLevels = 127;

// ELU(x * scale + shift) per channel, quantized; x as runsFusedLoops takes it.
QuantizedActivations quantizeScaleShiftElu(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& shift);
// The same for cat({first, second}, 1), without the concatenation.
QuantizedActivations quantizeConcatScaleShiftElu(const at::Tensor& first, const at::Tensor& second,
                                                 const at::Tensor& scale, const at::Tensor& shift);
// A convolution's int32 accumulators (N x C x H x W, channels-last, contiguous) as values: acc * multiplier[c] +
// bias[c], multiplier > 0 (float32 tensors of C values). quantizeAccumulatorsElu takes ELU of them and quantizes;
// accumulatorsToFloat returns them as float32, channels-last.
QuantizedActivations quantizeAccumulatorsElu(const at::Tensor& accumulators, const at::Tensor& multiplier,
                                             const at::Tensor& bias);
at::Tensor accumulatorsToFloat(const at::Tensor& accumulators, const at::Tensor& multiplier, const at::Tensor& bias);

}  // namespace fluocount
