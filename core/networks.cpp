#include "core/networks.h"

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

torch::Tensor maxPool(const torch::Tensor& x) { return torch::max_pool2d(x, 2); }

// BN(i) -> ELU -> Conv k x k (i->o) -> BN(o) -> ELU -> Conv k x k (o->o)
struct ConvBlockImpl : nn::Module {
  ConvBlockImpl(int64_t in, int64_t out, int64_t kernel)
      : bn1(register_module("bn1", batchNorm(in))),
        conv1(register_module("conv1", conv(in, out, kernel))),
        bn2(register_module("bn2", batchNorm(out))),
        conv2(register_module("conv2", conv(out, out, kernel))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = conv1(torch::elu(bn1(x)));
    return conv2(torch::elu(bn2(y)));
  }
  nn::BatchNorm2d bn1;
  nn::Conv2d conv1;
  nn::BatchNorm2d bn2;
  nn::Conv2d conv2;
};
TORCH_MODULE(ConvBlock);

// ConvBlock(x) + shortcut(x); the shortcut is a 1x1 convolution when the channel count changes.
struct ResidualBlockImpl : nn::Module {
  ResidualBlockImpl(int64_t in, int64_t out, int64_t kernel)
      : block(register_module("block", ConvBlock(in, out, kernel))) {
    if (in != out) shortcut = register_module("shortcut", conv(in, out, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return block(x) + (shortcut ? shortcut(x) : x);
  }
  ConvBlock block;
  nn::Conv2d shortcut{nullptr};
};
TORCH_MODULE(ResidualBlock);

// u = ConvTranspose 2x2 stride 2 (i->o); ConvBlock(2o, o)(concat(u, skip)) + u
struct UpResidualBlockImpl : nn::Module {
  UpResidualBlockImpl(int64_t in, int64_t out)
      : up(register_module("up", upConv(in, out))),
        block(register_module("block", ConvBlock(2 * out, out, 3))) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip) {
    auto u = up(x);
    return block(torch::cat({u, skip}, 1)) + u;
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
  torch::Tensor forward(torch::Tensor x) override {
    if (colorspace) x = colorspace(x);
    auto e1 = enc1(x);
    auto e2 = enc2(maxPool(e1));
    auto e3 = enc3(maxPool(e2));
    auto b = bottleneck1(maxPool(e3));
    if (bottleneck2) b = bottleneck2(b);
    return head(up3(up2(up1(b, e3), e2), e1));
  }
  int sizeMultiple() const override { return 8; }
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
    auto y = torch::relu(conv1(x));
    if (bn1) y = bn1(y);
    y = torch::relu(conv2(y));
    if (bn2) y = bn2(y);
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
    const std::vector<int64_t> filters = small ? std::vector<int64_t>{16, 32, 64} : std::vector<int64_t>{32, 64, 128, 256};
    const int64_t bottleneckFilters = small ? 128 : 512;
    int64_t in = 3;
    for (size_t level = 0; level < filters.size(); ++level) {
      encoders.push_back(register_module("enc" + std::to_string(level + 1), DoubleConv(in, filters[level], 3, small)));
      in = filters[level];
    }
    bottleneck = register_module("bottleneck", DoubleConv(in, bottleneckFilters, 5, small));
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
  torch::Tensor forward(torch::Tensor x) override {
    std::vector<torch::Tensor> skips;
    for (auto& encoder : encoders) {
      x = encoder(x);
      skips.push_back(x);
      x = maxPool(x);
    }
    x = bottleneck(x);
    for (size_t i = 0; i < ups.size(); ++i) {
      x = decoders[i](torch::cat({ups[i](x), skips[skips.size() - 1 - i]}, 1));
    }
    return head(x);
  }
  int sizeMultiple() const override { return 1 << static_cast<int>(encoders.size()); }
  Architecture architecture() const override { return architecture_; }

private:
  Architecture architecture_;
  std::vector<DoubleConv> encoders;
  DoubleConv bottleneck{nullptr};
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

std::int64_t countTrainableParameters(const torch::nn::Module& module) {
  std::int64_t total = 0;
  for (const auto& p : module.parameters())
    if (p.requires_grad()) total += p.numel();
  return total;
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
  if (canReflect) options.mode(torch::kReflect);
  else options.mode(torch::kReplicate);
  auto padded = F::pad(x, options);
  return network.forward(padded).narrow(2, 0, height).narrow(3, 0, width);
}

}  // namespace fluocount
