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

}  // namespace fluocount
