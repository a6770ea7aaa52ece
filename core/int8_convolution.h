#pragma once
// Convolutions in 8-bit integers for counting on a CPU (NetworkPrecision::Int8, core/inference.h): weights as
// signed 8-bit integers with one scale per output channel, activations as 7-bit unsigned integers with one scale
// and zero point per tensor (core/inference_kernels.h, QuantizedActivations), products summed exactly in 32 bits by
// oneDNN. On a CPU without AVX-512 such a convolution runs two to three times as fast as in float32 (README,
// performance). Built only where oneDNN's headers are (Debian: libdnnl-dev, the oneDNN LibTorch itself runs on);
// elsewhere int8ConvolutionAvailable() says no and the constructor throws.
#include "core/inference_kernels.h"
#include "core/torch_tensor_include.h"

#include <cstddef>
#include <memory>
#include <string>

namespace fluocount {

// Whether this build has int8 convolutions and this CPU runs oneDNN's fast kernels for them (x86-64 with AVX2;
// elsewhere oneDNN would use reference loops, far slower than float32). `whyNot` says why not, for users. The
// environment variable FLUOCOUNT_NO_INT8 makes any machine count as one without.
bool int8ConvolutionAvailable(std::string* whyNot = nullptr);

// A k x k convolution of stride 1 with zero padding k / 2 (the networks' own), its weights quantized once.
class Int8Convolution {
public:
  // weight: float32, out x in x k x k; bias: float32, out.
  Int8Convolution(const at::Tensor& weight, const at::Tensor& bias);
  ~Int8Convolution();
  Int8Convolution(const Int8Convolution&) = delete;
  Int8Convolution& operator=(const Int8Convolution&) = delete;

  // ELU(convolution + bias), quantized for the next convolution.
  QuantizedActivations convolveElu(const QuantizedActivations& input) const;
  // Convolution + bias in float32, channels-last.
  at::Tensor convolve(const QuantizedActivations& input) const;
  std::int64_t inputChannels() const;
  // How many input shapes have a primitive built and kept (at most a few: see forShape in the .cpp).
  std::size_t keptShapes() const;

private:
  // The exact sums of products (int32, channels-last), and what turns them into values: value = sum *
  // multiplier[c] + bias[c] (the input's scale times each output channel's weight scale).
  at::Tensor accumulate(const QuantizedActivations& input, at::Tensor& multiplier) const;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fluocount
