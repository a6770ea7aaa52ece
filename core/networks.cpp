#include "core/networks.h"

#include "core/inference_kernels.h"
#include "core/int8_convolution.h"
#include "core/torch_include.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace fluocount {
namespace nn = torch::nn;

namespace {

constexpr double kBatchNormMomentum = 0.01;
constexpr double kBatchNormEps = 1e-3;

nn::BatchNorm2d batchNorm(int64_t channels) {
  return nn::BatchNorm2d(nn::BatchNorm2dOptions(channels).momentum(kBatchNormMomentum).eps(kBatchNormEps));
}

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

nn::ConvTranspose2d upConv(int64_t in, int64_t out) {
  return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 2).stride(2));
}

// Without gradients (inference) the pooling skips the indices that only backpropagation reads (inference_kernels).
torch::Tensor maxPool(const torch::Tensor& x) {
  return torch::GradMode::is_enabled() ? torch::max_pool2d(x, 2) : maxPool2x2(x);
}

thread_local bool plainLayerSequence = false;  // see PlainLayerSequenceGuard
thread_local bool int8Inference = false;       // see Int8InferenceGuard

// Training, and inference under PlainLayerSequenceGuard, run the layers exactly as docs/method.md lists them (the
// transposed convolutions as transposed convolutions only under the guard and on a GPU: see upsample).
bool usePlainSequence(const nn::Module& module) { return module.is_training() || plainLayerSequence; }

// Inference may run in a lower precision than the weights are kept in (bfloat16 activations, inference.h): each
// layer casts its weights to the activations' type as it runs, a few MB per pass against hundreds of MB of
// activations. In float32 the casts return the weights themselves.
torch::Tensor inActivationType(const torch::Tensor& weights, const torch::Tensor& activations) {
  return weights.defined() ? weights.to(activations.scalar_type()) : weights;
}

torch::Tensor convolveForInference(const nn::Conv2dImpl& c, const torch::Tensor& x) {
  return torch::conv2d(x, inActivationType(c.weight, x), inActivationType(c.bias, x), *c.options.stride(),
                       c.options.kernel_size()->at(0) / 2);
}

// A 2x2 transposed convolution of stride 2 writes each output pixel from exactly one input pixel and one kernel
// tap, so it is a 1x1 convolution to 4x the channels whose outputs are then laid out as 2x2 blocks (pixel
// shuffle): the same arithmetic, on oneDNN's fast 1x1 path (LibTorch 1.13 runs the transposed convolution through
// im2col on the CPU, and not at all in bfloat16). Training runs it this way too: its backward pass through the
// transposed convolution is slower still, and the gradients reach the module's own weights through the reshape.
torch::Tensor upConvolve(const nn::ConvTranspose2dImpl& t, const torch::Tensor& x) {
  const int64_t in = t.weight.size(0), out = t.weight.size(1);
  const auto asPointwise = t.weight.permute({1, 2, 3, 0}).reshape({out * 4, in, 1, 1});
  const auto bias = t.bias.repeat_interleave(4);
  return torch::pixel_shuffle(torch::conv2d(x, inActivationType(asPointwise, x), inActivationType(bias, x)), 2);
}

// A transposed convolution as this pass runs it: as itself under PlainLayerSequenceGuard, and when training on a
// GPU, where cuDNN's transposed convolution trains faster than upConvolve (an H200, a channels-last step of
// 4 x 512x512: 18.8 ms -> 15.0 ms; fluocount-nn-check's "plain" rows, README); otherwise through upConvolve.
torch::Tensor upsample(nn::ConvTranspose2d& t, const torch::Tensor& x) {
  const bool asItself = plainLayerSequence || (t->is_training() && x.is_cuda());
  return asItself ? t(x) : upConvolve(*t, x);
}

// Batch normalisation with running statistics, in the activations' type.
torch::Tensor batchNormForInference(const nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  return torch::batch_norm(x, inActivationType(bn.weight, x), inActivationType(bn.bias, x),
                           inActivationType(bn.running_mean, x), inActivationType(bn.running_var, x),
                           /*training=*/false, 0.0, bn.options.eps(), /*cudnn_enabled=*/true);
}

// BN(i) -> ELU -> Conv k x k (i->o) -> BN(o) -> ELU -> Conv k x k (o->o)
struct ConvBlockImpl : nn::Module {
  ConvBlockImpl(int64_t in, int64_t out, int64_t kernel)
      : bn1(register_module("bn1", batchNorm(in))), conv1(register_module("conv1", conv(in, out, kernel))),
        bn2(register_module("bn2", batchNorm(out))), conv2(register_module("conv2", conv(out, out, kernel))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    if (usePlainSequence(*this)) {
      auto y = conv1(torch::elu(bn1(x)));
      return conv2(torch::elu(bn2(y)));
    }
    return forwardForInference(x);
  }

  // The same function with fewer passes over memory, for inference (running statistics): BN(i) and ELU run as one
  // pass (core/inference_kernels) into a copy of x, which the caller still needs (a skip or a shortcut), and BN(o)
  // is folded into conv1.
  torch::Tensor forwardForInference(const torch::Tensor& x) {
    const auto [scale1, shift1] = inputAffine(x);
    if (const auto int8 = int8WeightsFor(x)) {
      if (int8->first)
        return int8->second->convolve(int8->first->convolveElu(quantizeScaleShiftElu(x, scale1, shift1)));
      // Too few input channels for oneDNN's int8 kernels (enc1 reads the colour-space map's one): the first
      // convolution in float32, its ELU fused into the quantization of its output.
      const auto y = firstConvolution(scaleShiftElu(x, scale1, shift1, /*inPlace=*/false));
      const auto noAffine = torch::ones({y.size(1)}), noShift = torch::zeros({y.size(1)});
      return int8->second->convolve(quantizeScaleShiftElu(y, noAffine, noShift));
    }
    return afterInputActivation(scaleShiftElu(x, scale1, shift1, /*inPlace=*/false));
  }

  // forwardForInference(cat({first, second}, 1)), normalising the two parts straight into the concatenation.
  torch::Tensor forwardForInferenceOfConcat(const torch::Tensor& first, const torch::Tensor& second) {
    const auto [scale1, shift1] = inputAffine(first);
    if (const auto int8 = int8WeightsFor(first); int8 && int8->first && runsFusedLoops(second))
      return int8->second->convolve(
          int8->first->convolveElu(quantizeConcatScaleShiftElu(first, second, scale1, shift1)));
    return afterInputActivation(concatScaleShiftElu(first, second, scale1, shift1));
  }

  // Under Int8InferenceGuard, the two convolutions with their weights quantized (BN(o) folded into the first as in
  // float32), for activations the int8 loops can read; nullptr otherwise. Quantized once, and again if the weights
  // change (a network counted with, then trained, then counted with again).
  struct Int8Weights {
    std::unique_ptr<Int8Convolution> first, second;  // first is null where oneDNN's int8 kernels do not fit it
    std::vector<std::pair<const void*, std::uint32_t>> weightVersions;
  };
  std::shared_ptr<const Int8Weights> int8WeightsFor(const torch::Tensor& activations) {
    if (!int8Inference || !runsFusedLoops(activations)) return nullptr;
    std::vector<std::pair<const void*, std::uint32_t>> versions;
    for (const auto& t : {conv1->weight, conv1->bias, conv2->weight, conv2->bias, bn2->weight, bn2->bias,
                          bn2->running_mean, bn2->running_var})
      versions.emplace_back(t.data_ptr(), t.is_inference() ? 0 : t._version());  // inference tensors have none
    std::lock_guard<std::mutex> lock(int8Mutex_);
    if (!int8Weights_ || int8Weights_->weightVersions != versions) {
      auto weights = std::make_shared<Int8Weights>();
      const auto [foldedWeight, foldedBias] = foldedFirstConvolution();
      // oneDNN's int8 kernels work on groups of channels; below 8 input channels it falls back to slow loops.
      if (conv1->weight.size(1) >= 8) weights->first = std::make_unique<Int8Convolution>(foldedWeight, foldedBias);
      weights->second = std::make_unique<Int8Convolution>(conv2->weight, conv2->bias);
      weights->weightVersions = std::move(versions);
      int8Weights_ = std::move(weights);
    }
    return int8Weights_;
  }

  // BN(i) as a scale and shift in the activations' type.
  std::pair<torch::Tensor, torch::Tensor> inputAffine(const torch::Tensor& activations) const {
    const auto [scale, shift] = affineOf(*bn1);
    return {inActivationType(scale, activations), inActivationType(shift, activations)};
  }

  // Conv k x k (i->o) with BN(o) folded in -> ELU -> Conv k x k (o->o), on the activated input h.
  torch::Tensor afterInputActivation(torch::Tensor h) {
    auto y = firstConvolution(h);
    h = torch::Tensor();
    eluInPlace(y);
    return convolveForInference(*conv2, y);
  }

  // Conv k x k (i->o) with BN(o) folded in, before its ELU.
  torch::Tensor firstConvolution(const torch::Tensor& h) const {
    const auto [foldedWeight, foldedBias] = foldedFirstConvolution();
    return torch::conv2d(h, inActivationType(foldedWeight, h), inActivationType(foldedBias, h), 1,
                         conv1->options.kernel_size()->at(0) / 2);
  }

  // conv1's weight and bias with BN(o) folded in, in float32 (so that a lower precision rounds them once).
  std::pair<torch::Tensor, torch::Tensor> foldedFirstConvolution() const {
    const auto [scale2, shift2] = affineOf(*bn2);
    return {conv1->weight * scale2.view({-1, 1, 1, 1}), conv1->bias * scale2.view({-1}) + shift2.view({-1})};
  }

  // Batch normalisation with running statistics as y = x * scale + shift, per channel (shaped 1 x C x 1 x 1).
  static std::pair<torch::Tensor, torch::Tensor> affineOf(const nn::BatchNorm2dImpl& bn) {
    const auto scale = bn.weight / torch::sqrt(bn.running_var + bn.options.eps());
    const auto shift = bn.bias - bn.running_mean * scale;
    return {scale.view({1, -1, 1, 1}), shift.view({1, -1, 1, 1})};
  }

  nn::BatchNorm2d bn1;
  nn::Conv2d conv1;
  nn::BatchNorm2d bn2;
  nn::Conv2d conv2;

private:
  std::mutex int8Mutex_;
  std::shared_ptr<const Int8Weights> int8Weights_;
};
TORCH_MODULE(ConvBlock);

// ConvBlock(x) + shortcut(x); the shortcut is a 1x1 convolution when the channel count changes.
struct ResidualBlockImpl : nn::Module {
  ResidualBlockImpl(int64_t in, int64_t out, int64_t kernel)
      : block(register_module("block", ConvBlock(in, out, kernel))) {
    if (in != out) shortcut = register_module("shortcut", conv(in, out, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (usePlainSequence(*this)) return block(x) + (shortcut ? shortcut(x) : x);
    return block(x).add_(shortcut ? convolveForInference(*shortcut, x) : x);
  }
  ConvBlock block;
  nn::Conv2d shortcut{nullptr};
};
TORCH_MODULE(ResidualBlock);

// u = ConvTranspose 2x2 stride 2 (i->o); ConvBlock(2o, o)(concat(u, skip)) + u
struct UpResidualBlockImpl : nn::Module {
  UpResidualBlockImpl(int64_t in, int64_t out)
      : up(register_module("up", upConv(in, out))), block(register_module("block", ConvBlock(2 * out, out, 3))) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip) {
    if (usePlainSequence(*this)) {
      auto u = upsample(up, x);
      return block(torch::cat({u, skip}, 1)) + u;
    }
    auto u = upConvolve(*up, x);
    return block->forwardForInferenceOfConcat(u, skip).add_(u);
  }
  nn::ConvTranspose2d up;
  ConvBlock block;
};
TORCH_MODULE(UpResidualBlock);

// c-ResUnet (learned 1x1 colour-space transform, two 5x5 bottleneck blocks) and ResUnet (neither).
class ResUnetFamily : public SegmentationNetworkImpl {
public:
  explicit ResUnetFamily(Architecture architecture) : architecture_(architecture) {
    const bool colourSpace = architecture == Architecture::CResUnet;
    if (colourSpace) colorspace = register_module("colorspace", conv(3, 1, 1));
    enc1 = register_module("enc1", ConvBlock(colourSpace ? 1 : 3, 16, 3));
    enc2 = register_module("enc2", ResidualBlock(16, 32, 3));
    enc3 = register_module("enc3", ResidualBlock(32, 64, 3));
    bottleneck1 = register_module("bottleneck1", ResidualBlock(64, 128, 5));
    if (colourSpace) bottleneck2 = register_module("bottleneck2", ResidualBlock(128, 128, 5));
    up1 = register_module("up1", UpResidualBlock(128, 64));
    up2 = register_module("up2", UpResidualBlock(64, 32));
    up3 = register_module("up3", UpResidualBlock(32, 16));
    head = register_module("head", conv(16, 1, 1));
  }
  Features encode(const torch::Tensor& input) override {
    const auto x = !colorspace               ? input
                   : usePlainSequence(*this) ? colorspace(input)
                                             : convolveForInference(*colorspace, input);
    auto e1 = enc1(x);
    auto e2 = enc2(maxPool(e1));
    auto e3 = enc3(maxPool(e2));
    return {{e1, e2, e3}, maxPool(e3)};
  }
  torch::Tensor bottleneck(const torch::Tensor& deepest) override {
    auto b = bottleneck1(deepest);
    return bottleneck2 ? bottleneck2(b) : b;
  }
  torch::Tensor decode(const torch::Tensor& bottom, const std::vector<torch::Tensor>& skips) override {
    const auto top = up3(up2(up1(bottom, skips[2]), skips[1]), skips[0]);
    return usePlainSequence(*this) ? head(top) : convolveForInference(*head, top);
  }
  // Two 3x3 convolutions per level add 2 * 2^l; each 2x2 pooling adds 2^l; a stride-2 transposed 2x2
  // convolution adds nothing; each 5x5 bottleneck convolution adds 2 * 8.
  Reach reach() const override { return {2 + 1 + 4 + 2 + 8 + 4, (bottleneck2 ? 4 : 2) * 16, 8 + 4 + 2}; }
  int levels() const override { return 3; }
  Architecture architecture() const override { return architecture_; }

private:
  Architecture architecture_;
  nn::Conv2d colorspace{nullptr};
  ConvBlock enc1{nullptr};
  ResidualBlock enc2{nullptr}, enc3{nullptr}, bottleneck1{nullptr}, bottleneck2{nullptr};
  UpResidualBlock up1{nullptr}, up2{nullptr}, up3{nullptr};
  nn::Conv2d head{nullptr};
};

// Two k x k convolutions with ReLU; the small Unet follows each ReLU with batch normalisation.
struct DoubleConvImpl : nn::Module {
  DoubleConvImpl(int64_t in, int64_t out, int64_t kernel, bool withBatchNorm)
      : conv1(register_module("conv1", conv(in, out, kernel))),
        conv2(register_module("conv2", conv(out, out, kernel))) {
    if (withBatchNorm) {
      bn1 = register_module("bn1", batchNorm(out));
      bn2 = register_module("bn2", batchNorm(out));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (usePlainSequence(*this)) {
      auto y = torch::relu(conv1(x));
      if (bn1) y = bn1(y);
      y = torch::relu(conv2(y));
      if (bn2) y = bn2(y);
      return y;
    }
    auto y = convolveForInference(*conv1, x);
    torch::relu_(y);
    if (bn1) y = batchNormForInference(*bn1, y);
    y = convolveForInference(*conv2, y);
    torch::relu_(y);
    if (bn2) y = batchNormForInference(*bn2, y);
    return y;
  }
  nn::Conv2d conv1, conv2;
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(DoubleConv);

// Unet (Ronneberger et al. 2015 style) and the small Unet: one encoder block per level, a 5x5 bottleneck, and a
// mirrored decoder of ConvTranspose 2x2 + concat + double 3x3 convolution.
class UnetFamily : public SegmentationNetworkImpl {
public:
  explicit UnetFamily(Architecture architecture) : architecture_(architecture) {
    const bool small = architecture == Architecture::SmallUnet;
    const std::vector<int64_t> filters =
        small ? std::vector<int64_t>{16, 32, 64} : std::vector<int64_t>{32, 64, 128, 256};
    const int64_t bottleneckFilters = small ? 128 : 512;
    int64_t in = 3;
    for (size_t level = 0; level < filters.size(); ++level) {
      encoders.push_back(register_module("enc" + std::to_string(level + 1), DoubleConv(in, filters[level], 3, small)));
      in = filters[level];
    }
    bottleneckBlock = register_module("bottleneck", DoubleConv(in, bottleneckFilters, 5, small));
    in = bottleneckFilters;
    for (size_t i = 0; i < filters.size(); ++i) {
      const int64_t out = filters[filters.size() - 1 - i];
      const std::string suffix = std::to_string(i + 1);
      ups.push_back(register_module("up" + suffix, upConv(in, out)));
      decoders.push_back(register_module("dec" + suffix, DoubleConv(2 * out, out, 3, small)));
      in = out;
    }
    head = register_module("head", conv(in, 1, 1));
  }
  Features encode(const torch::Tensor& input) override {
    Features features;
    auto x = input;
    for (auto& encoder : encoders) {
      x = encoder(x);
      features.skips.push_back(x);
      x = maxPool(x);
    }
    features.deepest = x;
    return features;
  }
  torch::Tensor bottleneck(const torch::Tensor& deepest) override { return bottleneckBlock(deepest); }
  torch::Tensor decode(const torch::Tensor& bottom, const std::vector<torch::Tensor>& skips) override {
    auto x = bottom;
    const bool plain = usePlainSequence(*this);
    for (size_t i = 0; i < ups.size(); ++i) {
      auto u = upsample(ups[i], x);
      x = decoders[i](torch::cat({u, skips[skips.size() - 1 - i]}, 1));
    }
    return plain ? head(x) : convolveForInference(*head, x);
  }
  // As for the ResUnet family: levels l = 0..L-1 each add 2 * 2^l (two 3x3) + 2^l (pooling) in the encoder and
  // 2 * 2^l in the decoder; the two 5x5 bottleneck convolutions add 2 * 2 * 2^L.
  Reach reach() const override {
    const int top = 1 << levels();
    return {3 * (top - 1), 4 * top, 2 * (top - 1)};
  }
  int levels() const override { return static_cast<int>(encoders.size()); }
  Architecture architecture() const override { return architecture_; }

private:
  Architecture architecture_;
  std::vector<DoubleConv> encoders;
  DoubleConv bottleneckBlock{nullptr};
  std::vector<nn::ConvTranspose2d> ups;
  std::vector<DoubleConv> decoders;
  nn::Conv2d head{nullptr};
};

void initialiseWeights(nn::Module& network) {
  torch::NoGradGuard noGrad;
  for (auto& module : network.modules(/*include_self=*/false)) {
    if (auto* c = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight);
      if (c->bias.defined()) nn::init::zeros_(c->bias);
    } else if (auto* t = module->as<nn::ConvTranspose2d>()) {
      nn::init::kaiming_normal_(t->weight);
      if (t->bias.defined()) nn::init::zeros_(t->bias);
    }
  }
}

}  // namespace

namespace {
// 0: the measured defaults below; otherwise 1 + the torch::MemoryFormat every GPU use runs in (forceGpuLayout), or
// the CPU trains in (forceCpuTrainingLayout).
std::atomic<int> forcedGpuLayout{0}, forcedCpuTrainingLayout{0};

torch::MemoryFormat onGpuUnlessForced(torch::MemoryFormat measuredBest) {
  const int forced = forcedGpuLayout;
  return forced ? static_cast<torch::MemoryFormat>(forced - 1) : measuredBest;
}
}  // namespace

void forceGpuLayout(std::optional<torch::MemoryFormat> layout) {
  forcedGpuLayout = layout ? 1 + static_cast<int>(*layout) : 0;
}

torch::MemoryFormat activationLayout(const torch::Device& device) {
  if (device.is_cpu()) return torch::MemoryFormat::ChannelsLast;
  return onGpuUnlessForced(torch::MemoryFormat::Contiguous);
}

bool cpuHasAvx512() {
#if defined(__x86_64__) && defined(__GNUC__)
  // What oneDNN calls avx512_core, the level its AVX-512 convolution kernels need.
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return has;
#else
  return false;
#endif
}

void forceCpuTrainingLayout(std::optional<torch::MemoryFormat> layout) {
  forcedCpuTrainingLayout = layout ? 1 + static_cast<int>(*layout) : 0;
}

torch::MemoryFormat trainingLayout(const torch::Device& device) {
  if (device.is_cpu()) {
    if (const int forced = forcedCpuTrainingLayout) return static_cast<torch::MemoryFormat>(forced - 1);
    return cpuHasAvx512() ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  }
  return onGpuUnlessForced(torch::MemoryFormat::ChannelsLast);
}

void layOutWeightsFor(SegmentationNetworkImpl& network, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  for (auto& weights : network.parameters())
    if (weights.dim() == 4) weights.set_data(weights.contiguous(trainingLayout(device)));
}

SegmentationNetwork makeNetwork(Architecture architecture) {
  SegmentationNetwork network;
  switch (architecture) {
    case Architecture::CResUnet:
    case Architecture::ResUnet: network = std::make_shared<ResUnetFamily>(architecture); break;
    case Architecture::Unet:
    case Architecture::SmallUnet: network = std::make_shared<UnetFamily>(architecture); break;
  }
  initialiseWeights(*network);
  return network;
}

namespace {
// The resolution level a top-level block works at, from its name: colorspace, enc1 and head at the input's
// (level 0), encN at level N-1, the bottleneck at the deepest (`levels`), and upK/decK (the K-th step back up) at
// levels - K.
int levelOfBlock(const std::string& name, int levels) {
  auto numberAfter = [&](std::size_t prefix) { return std::stoi(name.substr(prefix)); };
  if (name.rfind("enc", 0) == 0) return numberAfter(3) - 1;
  if (name.rfind("bottleneck", 0) == 0) return levels;
  if (name.rfind("up", 0) == 0) return levels - numberAfter(2);
  if (name.rfind("dec", 0) == 0) return levels - numberAfter(3);
  return 0;  // colorspace, head
}
}  // namespace

double forwardGflop(const SegmentationNetworkImpl& network, int height, int width) {
  double multiplyAdds = 0;
  for (const auto& child : network.named_children()) {
    const std::shared_ptr<nn::Module>& block = child.value();
    const int level = levelOfBlock(child.key(), network.levels());
    const double outputPixels = double(height >> level) * double(width >> level);
    for (const auto& module : block->modules(/*include_self=*/true)) {
      if (const auto* c = module->as<nn::Conv2d>()) {
        const auto& o = c->options;
        multiplyAdds +=
            double(o.in_channels()) * o.out_channels() * (*o.kernel_size())[0] * (*o.kernel_size())[1] * outputPixels;
      } else if (const auto* t = module->as<nn::ConvTranspose2d>()) {
        // Every input pixel meets every kernel tap once: kernel taps / stride² multiply-adds per output pixel.
        const auto& o = t->options;
        multiplyAdds += double(o.in_channels()) * o.out_channels() * (*o.kernel_size())[0] * (*o.kernel_size())[1] /
                        ((*o.stride())[0] * (*o.stride())[1]) * outputPixels;
      }
    }
  }
  return 2 * multiplyAdds / 1e9;
}

PlainLayerSequenceGuard::PlainLayerSequenceGuard() : previous_(plainLayerSequence) { plainLayerSequence = true; }
PlainLayerSequenceGuard::~PlainLayerSequenceGuard() { plainLayerSequence = previous_; }

Int8InferenceGuard::Int8InferenceGuard() : previous_(int8Inference) { int8Inference = true; }
Int8InferenceGuard::~Int8InferenceGuard() { int8Inference = previous_; }

std::int64_t countTrainableParameters(const torch::nn::Module& module) {
  std::int64_t total = 0;
  for (const auto& p : module.parameters())
    if (p.requires_grad()) total += p.numel();
  return total;
}

bool belongsToDecoder(const std::string& name) {
  const auto startsWith = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  return startsWith("up") || startsWith("dec") || startsWith("head");
}

std::vector<torch::Tensor> freezeAllButDecoder(SegmentationNetworkImpl& network) {
  std::vector<torch::Tensor> decoder;
  for (auto& item : network.named_parameters()) {
    if (belongsToDecoder(item.key()))
      decoder.push_back(item.value());
    else
      item.value().set_requires_grad(false);
  }
  return decoder;
}

torch::Tensor forwardAnySize(SegmentationNetworkImpl& network, const torch::Tensor& x) {
  const int64_t height = x.size(2), width = x.size(3);
  const int64_t multiple = network.sizeMultiple();
  const int64_t padBottom = (multiple - height % multiple) % multiple;
  const int64_t padRight = (multiple - width % multiple) % multiple;
  if (padBottom == 0 && padRight == 0) return network.forward(x);
  // Reflect padding needs the pad to be smaller than the side; tiny inputs fall back to replicate.
  const bool canReflect = padBottom < height && padRight < width;
  namespace F = torch::nn::functional;
  F::PadFuncOptions options({0, padRight, 0, padBottom});
  if (canReflect)
    options.mode(torch::kReflect);
  else
    options.mode(torch::kReplicate);
  auto padded = F::pad(x, options);
  return network.forward(padded).narrow(2, 0, height).narrow(3, 0, width);
}

}  // namespace fluocount
