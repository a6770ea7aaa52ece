// The four architectures of docs/method.md section 4: parameter counts and any input size.
#include "core/inference_kernels.h"
#include "core/inference.h"
#include "core/networks.h"
#include "core/training_step.h"
#include "core/torch_include.h"
#include "tests/test_support.h"

#include <limits>
#include <map>
#include <optional>

using namespace fluocount;

class NetworksTest : public QObject {
  Q_OBJECT

private slots:
  void parameterCountsMatchThePaper_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<qint64>("parameters");
    QTest::newRow("c-ResUnet") << "c-resunet" << qint64(1'707'287);  // the paper's ~1.7 M, exactly
    QTest::newRow("ResUnet") << "resunet" << qint64(887'607);        // paper: ~0.89 M
    QTest::newRow("Unet") << "unet" << qint64(14'051'553);           // paper: ~14 M
    QTest::newRow("small Unet") << "small-unet" << qint64(876'657);  // paper: ~0.88 M
  }
  void parameterCountsMatchThePaper() {
    QFETCH(QString, name);
    QFETCH(qint64, parameters);
    const auto network = makeNetwork(*architectureFromName(name.toStdString()));
    const auto counted = countTrainableParameters(*network);
    qInfo("%s: %lld trainable parameters", qPrintable(name), static_cast<long long>(counted));
    QCOMPARE(qint64(counted), parameters);
  }

  void anyInputSizeGivesAnOutputOfThatSize_data() {
    QTest::addColumn<QString>("name");
    for (auto a : allArchitectures())
      QTest::newRow(architectureName(a).c_str()) << QString::fromStdString(architectureName(a));
  }
  void anyInputSizeGivesAnOutputOfThatSize() {
    QFETCH(QString, name);
    torch::manual_seed(1);
    const auto network = makeNetwork(*architectureFromName(name.toStdString()));
    network->eval();
    torch::NoGradGuard noGrad;
    for (auto [h, w] : {std::pair{37, 53}, std::pair{64, 48}, std::pair{5, 7}}) {
      const auto out = forwardAnySize(*network, torch::rand({1, 3, h, w}));
      QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 1, h, w}));
      QVERIFY(torch::isfinite(out).all().item<bool>());
    }
  }

  // Inference folds BatchNorm into the convolutions, runs each transposed convolution as a 1x1 convolution and a
  // pixel shuffle, and takes channels-last input (networks.cpp, inference.cpp); none of it may change the function.
  void foldedInferenceEqualsThePlainLayerSequence_data() {
    QTest::addColumn<int>("architecture");
    for (auto a : allArchitectures()) QTest::newRow(architectureName(a).c_str()) << static_cast<int>(a);
  }
  void foldedInferenceEqualsThePlainLayerSequence() {
    QFETCH(int, architecture);
    torch::manual_seed(5);
    const auto network = makeNetwork(static_cast<Architecture>(architecture));
    // Give every BatchNorm non-trivial running statistics and affine parameters, and every transposed
    // convolution a bias.
    network->train();
    {
      torch::NoGradGuard noGrad;
      for (auto& p : network->named_parameters()) {
        if (p.key().find("bn") != std::string::npos) p.value().uniform_(0.5, 1.5);
        if (p.key().find("up") != std::string::npos && p.key().find("bias") != std::string::npos)
          p.value().uniform_(-0.5, 0.5);
      }
      for (int i = 0; i < 3; ++i) network->forward(torch::rand({2, 3, 64, 64}) * 2);
    }
    network->eval();
    torch::NoGradGuard noGrad;
    const auto x = torch::rand({1, 3, 96, 80});
    torch::Tensor plain;
    {
      PlainLayerSequenceGuard guard;
      plain = network->forward(x);
    }
    for (const auto layout : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
      const auto folded = network->forward(x.contiguous(layout));
      const double relative = ((folded - plain).norm() / plain.norm()).item<double>();
      qInfo("relative difference folded vs plain (%s): %g",
            layout == torch::MemoryFormat::ChannelsLast ? "channels-last" : "NCHW", relative);
      QVERIFY(relative < 1e-5);
    }
  }

  // Inference's fused BatchNorm + ELU loops (core/inference_kernels) against LibTorch's own operations: on dense
  // channels-last tensors, on tiles cut out of larger ones (rows apart), and on tensors the loops leave to LibTorch
  // (NCHW, bfloat16). Values span ELU's whole range: large negative (exp underflows), around zero, positive.
  void fusedActivationEqualsLibTorchsOperations() {
    torch::manual_seed(3);
    const auto values = [](std::vector<int64_t> sizes) { return torch::randn(sizes) * 20 - 5; };
    const auto scale = torch::rand({1, 24, 1, 1}) * 2, shift = torch::randn({1, 24, 1, 1});
    const auto reference = [&](const torch::Tensor& x, const torch::Tensor& s, const torch::Tensor& b) {
      return torch::elu(x.to(torch::kFloat) * s + b);
    };
    const auto whole = values({2, 24, 19, 23}).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto tile = whole.narrow(2, 3, 11).narrow(3, 5, 13);  // rows apart, as a staged tile's
    QVERIFY(!tile.is_contiguous(torch::MemoryFormat::ChannelsLast));
    for (const auto& x : {whole, tile, whole.contiguous(), whole.to(torch::kBFloat16)}) {
      const double tolerance = x.scalar_type() == torch::kBFloat16 ? 0.1 : 1e-6;
      const auto expected = reference(x, scale, shift);
      const auto copy = x.clone(torch::MemoryFormat::Preserve);
      QVERIFY(torch::allclose(scaleShiftElu(x, scale, shift, false).to(torch::kFloat), expected, tolerance, tolerance));
      QVERIFY(torch::equal(x, copy));  // not in place: x is left as it was
      auto scratch = x.clone(torch::MemoryFormat::Preserve);
      const auto inPlace = scaleShiftElu(scratch, scale, shift, true);
      QCOMPARE(inPlace.data_ptr(), scratch.data_ptr());
      QVERIFY(torch::allclose(scratch.to(torch::kFloat), expected, tolerance, tolerance));
      auto activated = x.clone(torch::MemoryFormat::Preserve);
      eluInPlace(activated);
      QVERIFY(torch::allclose(activated.to(torch::kFloat), torch::elu(x.to(torch::kFloat)), tolerance, tolerance));
    }
    // The concatenation's two parts normalised straight into it: channels 0..9 from the first, 10..23 the second.
    const auto first = values({2, 10, 19, 23}).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto second = whole.narrow(1, 0, 14);
    for (const auto& [a, b] : {std::pair{first, second}, std::pair{first.narrow(2, 2, 9), second.narrow(2, 4, 9)},
                               std::pair{first.contiguous(), second.contiguous()}}) {
      const auto expected = reference(torch::cat({a, b}, 1), scale, shift);
      const auto fused = concatScaleShiftElu(a, b, scale, shift);
      QVERIFY(fused.is_contiguous(torch::MemoryFormat::ChannelsLast) || fused.is_contiguous());
      QVERIFY(torch::allclose(fused, expected, 1e-6, 1e-6));
    }
    // Exact where ELU is the identity or saturates, and at zero.
    const auto edges = torch::tensor({0.0f, 2.5f, -200.0f, -87.5f, 1e-30f}).view({1, 1, 1, 5});
    auto activated = edges.clone();
    eluInPlace(activated);
    QVERIFY(torch::equal(activated, torch::tensor({0.0f, 2.5f, -1.0f, -1.0f, 1e-30f}).view({1, 1, 1, 5})));
  }

  // Inference's 2x2 max pooling without indices (inference_kernels) is LibTorch's, value for value: odd sides
  // (the last row and column dropped), tiles cut out of larger tensors, NaN, and NCHW (left to LibTorch).
  void maxPoolingForInferenceEqualsLibTorchs() {
    torch::manual_seed(4);
    auto whole = torch::randn({2, 12, 21, 17}).contiguous(torch::MemoryFormat::ChannelsLast);
    whole.index_put_({1, 3, 6, 9}, std::numeric_limits<float>::quiet_NaN());
    for (const auto& x : {whole, whole.narrow(2, 1, 15).narrow(3, 2, 12), whole.contiguous()}) {
      const auto expected = torch::max_pool2d(x, 2);
      const auto pooled = maxPool2x2(x);
      QCOMPARE(pooled.sizes().vec(), expected.sizes().vec());
      QVERIFY(torch::equal(torch::isnan(pooled), torch::isnan(expected)));
      QVERIFY(torch::equal(torch::nan_to_num(pooled), torch::nan_to_num(expected)));
    }
    QVERIFY(torch::isnan(maxPool2x2(whole)).any().item<bool>());
  }

  // The loops share their rows among LibTorch's threads: built without OpenMP, at::parallel_for's pragma is left out
  // and every loop runs on one thread while the others wait.
  void fusedLoopsRunOnEveryThread() {
    const int before = at::get_num_threads();
    at::set_num_threads(2);
    const int used = threadsTheLoopsRunOn();
    at::set_num_threads(before);
    QCOMPARE(used, 2);
  }

  // Training also runs the transposed convolutions as 1x1 convolutions and pixel shuffles, on input and weights in
  // the CPU's training layout (trainStep, layOutWeightsFor; channels-last or NCHW): the loss and every gradient must
  // be those of the plain layer sequence on NCHW input and weights, so that the optimiser moves the same weights the
  // same way.
  void trainingStepEqualsThePlainLayerSequence_data() { foldedInferenceEqualsThePlainLayerSequence_data(); }
  void trainingStepEqualsThePlainLayerSequence() {
    QFETCH(int, architecture);
    torch::manual_seed(7);
    const auto network = makeNetwork(static_cast<Architecture>(architecture));
    {
      torch::NoGradGuard noGrad;
      for (auto& p : network->named_parameters())
        if (p.key().find("up") != std::string::npos && p.key().find("bias") != std::string::npos)
          p.value().uniform_(-0.5, 0.5);
    }
    network->train();
    const auto images = torch::rand({2, 3, 96, 80});
    const auto masks = (torch::rand({2, 1, 96, 80}) > 0.7).to(torch::kFloat32);
    const auto weights = torch::rand({2, 1, 96, 80}) + 0.5;
    const auto lossAndGradients = [&](bool plain, torch::MemoryFormat layout) {
      std::optional<PlainLayerSequenceGuard> guard;
      if (plain) guard.emplace();
      network->zero_grad();
      auto loss = weightedBceLoss(network->forward(images.contiguous(layout)), masks, weights, {});
      loss.backward();
      std::vector<torch::Tensor> gradients;
      for (const auto& p : network->parameters()) gradients.push_back(p.grad().clone());
      return std::pair{loss.item<double>(), gradients};
    };
    // Not a structured binding: the lambda below captures the gradients, which C++17 does not allow of bindings.
    const auto plain = lossAndGradients(true, torch::MemoryFormat::Contiguous);
    const double plainLoss = plain.first;
    const std::vector<torch::Tensor>& plainGradients = plain.second;
    // Relative to each gradient, or to a thousandth of the largest where a gradient is zero in exact arithmetic
    // (a bias followed by BatchNorm) and only rounding is left of it.
    double largest = 0;
    for (const auto& g : plainGradients) largest = std::max(largest, g.norm().item<double>());
    const auto differenceFromPlain = [&](const std::vector<torch::Tensor>& gradients) {
      double worst = 0;
      for (std::size_t i = 0; i < gradients.size(); ++i) {
        const double scale = std::max(plainGradients[i].norm().item<double>(), 1e-3 * largest);
        worst = std::max(worst, (gradients[i] - plainGradients[i]).norm().item<double>() / scale);
      }
      return worst;
    };
    // What rounding alone does to this network's gradients: the plain sequence with only the memory layout changed
    // (channels-last input and weights against NCHW), measured in the first pass below and the yardstick for both. In
    // the ELU networks that is ~1e-5; the ReLU networks' gradients move by up to a few percent with it (measured; not
    // traced further), and so they may with any other change of summation order, such as the transposed convolutions
    // run as 1x1 convolutions in NCHW (the U-Net: 1.2e-3 on an AVX-512 CPU, where the two round differently; under
    // 1e-4 on an AVX2 one). A wrong weight order or a missing term moves the gradients by far more.
    double rounding = 0;
    // Both layouts a CPU trains in (networks.h: channels-last with AVX-512, NCHW without).
    for (const auto layout : {torch::MemoryFormat::ChannelsLast, torch::MemoryFormat::Contiguous}) {
      forceCpuTrainingLayout(layout);
      layOutWeightsFor(*network, torch::kCPU);  // as the trainer does; the values stay the same
      const auto [loss, gradients] = lossAndGradients(false, trainingLayout(torch::kCPU));
      if (layout == torch::MemoryFormat::ChannelsLast)
        rounding = differenceFromPlain(lossAndGradients(true, torch::MemoryFormat::ChannelsLast).second);
      const double worst = differenceFromPlain(gradients);
      qInfo("%s: loss %.8f against %.8f; largest relative gradient difference %g (the layout alone: %g)",
            layout == torch::MemoryFormat::Contiguous ? "NCHW" : "channels-last", loss, plainLoss, worst, rounding);
      forceCpuTrainingLayout(std::nullopt);
      QVERIFY(std::abs(loss - plainLoss) < 1e-4 * std::abs(plainLoss));
      QVERIFY(worst < std::max(1e-4, 2 * rounding));
    }
  }

  // The layouts each use runs in (measured: networks.h). A GPU counts in NCHW and trains in channels-last, and
  // fluocount-nn-check can force either for both; a CPU counts in channels-last and trains in it where it has
  // AVX-512, else in NCHW, whatever the GPU is forced to; tests can force the CPU's training layout. Asking for a
  // CUDA device's layout needs no GPU.
  void layoutsPerDeviceAndUse() {
    const torch::Device cpu(torch::kCPU), gpu(torch::kCUDA);
    const auto cpuTraining = cpuHasAvx512() ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    qInfo("this CPU %s AVX-512: trains in %s", cpuHasAvx512() ? "has" : "has no",
          cpuHasAvx512() ? "channels-last" : "NCHW");
    QCOMPARE(activationLayout(cpu), torch::MemoryFormat::ChannelsLast);
    QCOMPARE(trainingLayout(cpu), cpuTraining);
    forceCpuTrainingLayout(torch::MemoryFormat::ChannelsLast);
    QCOMPARE(trainingLayout(cpu), torch::MemoryFormat::ChannelsLast);
    forceCpuTrainingLayout(torch::MemoryFormat::Contiguous);
    QCOMPARE(trainingLayout(cpu), torch::MemoryFormat::Contiguous);
    QCOMPARE(activationLayout(cpu), torch::MemoryFormat::ChannelsLast);
    forceCpuTrainingLayout(std::nullopt);
    QCOMPARE(trainingLayout(cpu), cpuTraining);
    QCOMPARE(activationLayout(gpu), torch::MemoryFormat::Contiguous);
    QCOMPARE(trainingLayout(gpu), torch::MemoryFormat::ChannelsLast);
    forceGpuLayout(torch::MemoryFormat::Contiguous);
    QCOMPARE(trainingLayout(gpu), torch::MemoryFormat::Contiguous);
    QCOMPARE(trainingLayout(cpu), cpuTraining);
    forceGpuLayout(torch::MemoryFormat::ChannelsLast);
    QCOMPARE(activationLayout(gpu), torch::MemoryFormat::ChannelsLast);
    forceGpuLayout(std::nullopt);
    QCOMPARE(activationLayout(gpu), torch::MemoryFormat::Contiguous);
    QCOMPARE(trainingLayout(gpu), torch::MemoryFormat::ChannelsLast);
  }

  // In bfloat16 (--precision bfloat16) every architecture's inference path runs, casting its float32 weights as
  // it goes, and stays within bfloat16's rounding of the float32 function. Needs a CPU with native bfloat16.
  void bfloat16InferenceFollowsFloat32_data() { foldedInferenceEqualsThePlainLayerSequence_data(); }
  void bfloat16InferenceFollowsFloat32() {
    if (!cpuHasNativeBfloat16()) QSKIP("this CPU has no native bfloat16 (AVX512-BF16): bfloat16 is refused here");
    QFETCH(int, architecture);
    torch::manual_seed(6);
    const auto network = makeNetwork(static_cast<Architecture>(architecture));
    network->eval();
    torch::NoGradGuard noGrad;
    const auto x = torch::rand({1, 3, 96, 80}).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto exact = network->forward(x);
    const auto reduced = network->forward(x.to(torch::kBFloat16));
    QCOMPARE(reduced.scalar_type(), torch::kBFloat16);
    const double relative = ((reduced.to(torch::kFloat32) - exact).norm() / exact.norm()).item<double>();
    qInfo("relative difference bfloat16 vs float32: %g", relative);
    QVERIFY(relative > 0);  // it did run in bfloat16
    QVERIFY(relative < 0.05);
  }

  // The benchmark's compute floor: c-ResUnet's convolutions by hand, per input pixel, in multiply-adds: colour
  // transform 3; enc1 144 + 2304; enc2 (16*32*9 + 32*32*9 + 16*32) / 4 = 3584; enc3 3584; bottleneck
  // (64*128*25 + 128*128*25 + 64*128) / 64 = 9728 and 128*128*25*2 / 64 = 12800; each of the three ups 512 for the
  // transposed convolution and 6912 for its block; head 16: 54,435 in all.
  void forwardArithmeticIsCountedByHand() {
    const auto network = makeNetwork(Architecture::CResUnet);
    QVERIFY(std::abs(forwardGflop(*network, 1200, 1600) - 54435.0 * 1200 * 1600 * 2 / 1e9) < 1e-6);
    QVERIFY(std::abs(forwardGflop(*network, 600, 800) * 4 - forwardGflop(*network, 1200, 1600)) < 1e-6);
  }

  void architectureNamesRoundTrip() {
    for (auto a : allArchitectures()) QCOMPARE(*architectureFromName(architectureName(a)), a);
    QVERIFY(!architectureFromName("resnet50"));
  }

  void batchNormUsesTheMethodsMomentumAndEpsilon() {
    const auto network = makeNetwork(Architecture::CResUnet);
    int batchNorms = 0;
    for (const auto& module : network->modules(false)) {
      if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
        ++batchNorms;
        QCOMPARE(*bn->options.momentum(), 0.01);
        QCOMPARE(bn->options.eps(), 1e-3);
      }
    }
    QCOMPARE(batchNorms, 2 * 8);  // eight ConvBlocks of two BNs each
  }

  // A fine-tune with --freeze-batchnorm learns its convolutions but normalises with the starting model's
  // statistics, and leaves them as they were; without it one step already moves them.
  void frozenBatchNormKeepsItsStatisticsWhileTheConvolutionsLearn() {
    torch::manual_seed(3);
    const auto network = makeNetwork(Architecture::CResUnet);
    torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
    const auto images = torch::rand({2, 3, 64, 64});
    const auto masks = (torch::rand({2, 1, 64, 64}) > 0.7).to(torch::kFloat);
    const auto weights = torch::ones({2, 1, 64, 64});
    torch::nn::BatchNorm2dImpl* firstBatchNorm = nullptr;
    for (const auto& module : network->modules(false))
      if (!firstBatchNorm) firstBatchNorm = module->as<torch::nn::BatchNorm2dImpl>();
    QVERIFY(firstBatchNorm);
    const auto runningMean = firstBatchNorm->running_mean.clone();
    const auto headWeight = network->named_parameters()["head.weight"].clone();

    enterTrainingMode(*network, /*freezeBatchNorm=*/true);
    QVERIFY(network->is_training());
    QVERIFY(!firstBatchNorm->is_training());
    trainStep(*network, optimizer, images, masks, weights, LossSettings{});
    QVERIFY(torch::equal(firstBatchNorm->running_mean, runningMean));
    QVERIFY(!torch::equal(network->named_parameters()["head.weight"], headWeight));

    enterTrainingMode(*network, /*freezeBatchNorm=*/false);
    QVERIFY(firstBatchNorm->is_training());
    trainStep(*network, optimizer, images, masks, weights, LossSettings{});
    QVERIFY(!torch::equal(firstBatchNorm->running_mean, runningMean));
  }

  // A decoder-only fine-tune (--decoder-only) changes the up-sampling blocks and the head and nothing else: the
  // encoder's and bottleneck's weights and BatchNorm statistics stay those of the starting model.
  void decoderOnlyFineTuneLeavesTheEncoderAsItWas() {
    for (const Architecture architecture : {Architecture::CResUnet, Architecture::Unet}) {
      torch::manual_seed(5);
      const auto network = makeNetwork(architecture);
      std::map<std::string, torch::Tensor> before;
      for (const auto& item : network->named_parameters()) before[item.key()] = item.value().clone();
      for (const auto& item : network->named_buffers()) before[item.key()] = item.value().clone();
      const std::int64_t all = countTrainableParameters(*network);
      const std::vector<torch::Tensor> trained = freezeAllButDecoder(*network);
      QVERIFY(!trained.empty());
      QVERIFY(countTrainableParameters(*network) < all);
      torch::optim::Adam optimizer(trained, torch::optim::AdamOptions(1e-3));
      enterTrainingMode(*network, /*freezeBatchNorm=*/false, /*decoderOnly=*/true);
      trainStep(*network, optimizer, torch::rand({2, 3, 64, 64}), (torch::rand({2, 1, 64, 64}) > 0.7).to(torch::kFloat),
                torch::ones({2, 1, 64, 64}), LossSettings{});
      int changedDecoder = 0, encoderEntries = 0;
      const auto check = [&](const std::string& name, const torch::Tensor& value) {
        const bool changed = !torch::equal(value, before.at(name));
        if (belongsToDecoder(name)) {
          changedDecoder += changed;
        } else {
          ++encoderEntries;
          QVERIFY2(!changed, name.c_str());
        }
      };
      for (const auto& item : network->named_parameters()) check(item.key(), item.value());
      for (const auto& item : network->named_buffers()) check(item.key(), item.value());
      QVERIFY(encoderEntries > 10);
      QVERIFY(changedDecoder > 10);
      QVERIFY(network->named_parameters()["head.weight"].requires_grad());
    }
  }
};

QTEST_GUILESS_MAIN(NetworksTest)
#include "test_networks.moc"
