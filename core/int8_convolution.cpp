#include "core/int8_convolution.h"

#include <ATen/ops/empty.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#ifdef FLUOCOUNT_HAVE_ONEDNN
#include <dnnl.hpp>
#endif

namespace fluocount {

bool int8ConvolutionAvailable(std::string* whyNot) {
  const auto no = [&](const char* reason) {
    if (whyNot) *whyNot = reason;
    return false;
  };
  // As if the CPU had none (tests of the refusal, and users who want to rule it out).
  if (std::getenv("FLUOCOUNT_NO_INT8")) return no("int8 is turned off here (FLUOCOUNT_NO_INT8 is set)");
#ifndef FLUOCOUNT_HAVE_ONEDNN
  return no("this FluoCount was built without oneDNN's headers (Debian: libdnnl-dev)");
#elif defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return no("int8 needs a CPU with AVX2; this one has none");
  return true;
#else
  return no("int8 convolutions are built for x86-64 CPUs only");
#endif
}

#ifdef FLUOCOUNT_HAVE_ONEDNN

namespace {

using Dims = dnnl::memory::dims;
using DataType = dnnl::memory::data_type;
using Tag = dnnl::memory::format_tag;

const dnnl::engine& cpuEngine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace

// One oneDNN primitive per input shape (tiles of a slide share one), with the weights in the layout it reads.
struct ShapedConvolution {
  dnnl::convolution_forward primitive;
  dnnl::memory weights;
};

struct Int8Convolution::State {
  std::int64_t out = 0, in = 0, kernel = 0;
  at::Tensor weights;       // int8, out x in x k x k
  at::Tensor weightScales;  // float32, out: weight = int8 value * scale
  at::Tensor bias;          // float32, out
  mutable std::mutex mutex;
  mutable std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::shared_ptr<ShapedConvolution>> shapes;

  std::shared_ptr<ShapedConvolution> forShape(std::int64_t n, std::int64_t h, std::int64_t w) const {
    std::lock_guard<std::mutex> lock(mutex);
    // A folder of slides of many sizes (each small slide runs whole, at its own size) would otherwise keep a
    // primitive and a copy of the weights per size for as long as the network lives; a tiled slide needs two or
    // three shapes, so a few kept cover the common case and building one again costs milliseconds.
    constexpr std::size_t kShapesKept = 8;
    if (shapes.size() >= kShapesKept && shapes.find({n, h, w}) == shapes.end()) shapes.clear();
    auto& slot = shapes[{n, h, w}];
    if (!slot) slot = build(n, h, w);
    return slot;
  }

  std::shared_ptr<ShapedConvolution> build(std::int64_t n, std::int64_t h, std::int64_t w) const {
    const std::int64_t pad = kernel / 2;
    const dnnl::memory::desc source({n, in, h, w}, DataType::u8, Tag::nhwc),
        weightsAny({out, in, kernel, kernel}, DataType::s8, Tag::any), sums({n, out, h, w}, DataType::s32, Tag::nhwc);
    dnnl::primitive_attr attributes;
    // The zero point changes with every tile (each is quantized for its own range), so it is given at each run.
    attributes.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    const dnnl::convolution_forward::desc description(dnnl::prop_kind::forward_inference,
                                                      dnnl::algorithm::convolution_direct, source, weightsAny,
                                                      dnnl::memory::desc(), sums, {1, 1}, {pad, pad}, {pad, pad});
    const dnnl::convolution_forward::primitive_desc chosen(description, attributes, cpuEngine());
    auto shaped = std::make_shared<ShapedConvolution>();
    shaped->primitive = dnnl::convolution_forward(chosen);
    shaped->weights = dnnl::memory(chosen.weights_desc(), cpuEngine());
    dnnl::memory plain({{out, in, kernel, kernel}, DataType::s8, Tag::oihw}, cpuEngine(), weights.data_ptr());
    dnnl::stream stream(cpuEngine());
    dnnl::reorder(plain, shaped->weights).execute(stream, plain, shaped->weights);
    stream.wait();
    return shaped;
  }
};

Int8Convolution::Int8Convolution(const at::Tensor& weight, const at::Tensor& bias) : state_(std::make_unique<State>()) {
  std::string whyNot;
  if (!int8ConvolutionAvailable(&whyNot)) throw std::runtime_error(whyNot);
  TORCH_CHECK(weight.dim() == 4 && weight.size(2) == weight.size(3) && weight.size(2) % 2 == 1,
              "Int8Convolution: an odd square kernel");
  const at::Tensor w = weight.detach().to(at::kFloat).contiguous();
  State& s = *state_;
  s.out = w.size(0);
  s.in = w.size(1);
  s.kernel = w.size(2);
  // Symmetric per output channel: the largest magnitude maps to 127.
  s.weightScales = w.abs().amax({1, 2, 3}).div(127.0).contiguous();
  s.weightScales.masked_fill_(s.weightScales.eq(0), 1.0);
  s.weights = w.div(s.weightScales.view({-1, 1, 1, 1})).round().clamp(-127, 127).to(at::kChar).contiguous();
  s.bias = bias.detach().to(at::kFloat).contiguous().clone();
}

Int8Convolution::~Int8Convolution() = default;

std::int64_t Int8Convolution::inputChannels() const { return state_->in; }

std::size_t Int8Convolution::keptShapes() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->shapes.size();
}

at::Tensor Int8Convolution::accumulate(const QuantizedActivations& input, at::Tensor& multiplier) const {
  const State& s = *state_;
  const at::Tensor& x = input.values;
  TORCH_CHECK(x.scalar_type() == at::kByte && x.dim() == 4 && x.size(1) == s.in &&
                  x.is_contiguous(at::MemoryFormat::ChannelsLast),
              "Int8Convolution: the input must be quantized activations of the convolution's input channels");
  const std::int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const auto shaped = s.forShape(n, h, w);
  at::Tensor sums =
      at::empty({n, s.out, h, w}, at::TensorOptions().dtype(at::kInt).memory_format(at::MemoryFormat::ChannelsLast));
  std::int32_t zeroPoint = input.zeroPoint;
  const dnnl::memory source({{n, s.in, h, w}, DataType::u8, Tag::nhwc}, cpuEngine(), x.data_ptr()),
      destination({{n, s.out, h, w}, DataType::s32, Tag::nhwc}, cpuEngine(), sums.data_ptr()),
      zeroPoints({{1}, DataType::s32, Tag::x}, cpuEngine(), &zeroPoint);
  dnnl::stream stream(cpuEngine());
  shaped->primitive.execute(stream, {{DNNL_ARG_SRC, source},
                                     {DNNL_ARG_WEIGHTS, shaped->weights},
                                     {DNNL_ARG_DST, destination},
                                     {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zeroPoints}});
  stream.wait();
  multiplier = s.weightScales.mul(input.scale).contiguous();
  return sums;
}

QuantizedActivations Int8Convolution::convolveElu(const QuantizedActivations& input) const {
  at::Tensor multiplier;
  const at::Tensor sums = accumulate(input, multiplier);
  return quantizeAccumulatorsElu(sums, multiplier, state_->bias);
}

at::Tensor Int8Convolution::convolve(const QuantizedActivations& input) const {
  at::Tensor multiplier;
  const at::Tensor sums = accumulate(input, multiplier);
  return accumulatorsToFloat(sums, multiplier, state_->bias);
}

#else  // no oneDNN: the constructor refuses, as int8ConvolutionAvailable() said it would

struct Int8Convolution::State {};
Int8Convolution::Int8Convolution(const at::Tensor&, const at::Tensor&) {
  std::string whyNot;
  int8ConvolutionAvailable(&whyNot);
  throw std::runtime_error(whyNot);
}
Int8Convolution::~Int8Convolution() = default;
std::int64_t Int8Convolution::inputChannels() const { return 0; }
std::size_t Int8Convolution::keptShapes() const { return 0; }
at::Tensor Int8Convolution::accumulate(const QuantizedActivations&, at::Tensor&) const { return {}; }
QuantizedActivations Int8Convolution::convolveElu(const QuantizedActivations&) const { return {}; }
at::Tensor Int8Convolution::convolve(const QuantizedActivations&) const { return {}; }

#endif

}  // namespace fluocount
