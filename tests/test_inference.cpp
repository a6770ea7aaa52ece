// Tiled inference gives what a whole-image pass gives, on a real slide; resampling maps results back.
#include "core/image_io.h"
#include "core/inference.h"
#include "core/inference_kernels.h"
#include "core/int8_convolution.h"
#include "core/networks.h"
#include "core/postprocess.h"
#include "core/torch_include.h"
#include "tests/test_support.h"

#include <opencv2/imgproc.hpp>

using namespace fluocount;
using namespace fluocount::test;

namespace {

Model seededModel() {
  torch::manual_seed(11);
  return untrainedModel(Architecture::CResUnet);
}

// A threshold that a given fraction of the heatmap exceeds, so that an untrained network still yields objects.
double quantile(const cv::Mat& heatmap, double fraction) {
  std::vector<float> values(heatmap.begin<float>(), heatmap.end<float>());
  std::nth_element(values.begin(), values.begin() + std::size_t(values.size() * fraction), values.end());
  return values[std::size_t(values.size() * fraction)];
}

}  // namespace

class InferenceTest : public QObject {
  Q_OBJECT

  cv::Mat slide;

private slots:
  void initTestCase() {
    FLUOCOUNT_REQUIRE_SHARED_DATA();
    slide = normaliseToRgb(loadImage(dataFile(kYellowSlide)).pixels, {});
  }

  void tilingDoesNotChangeTheHeatmapOrTheCount() {
    InferenceSettings whole;
    whole.maxWholePixels = std::int64_t(1) << 40;
    InferenceSettings staged;  // encoder and decoder in tiles, bottleneck whole
    staged.maxWholePixels = 0;
    staged.tileSide = 256;
    InferenceSettings tiled;  // overlapping blocks, each run staged
    tiled.maxWholePixels = 0;
    tiled.maxStagedPixels = 0;  // blocks of the smallest size (1 Mpx)
    tiled.tileSide = 512;
    const cv::Mat reference = HeatmapPredictor(seededModel(), whole).predict(slide, 50);
    QCOMPARE(reference.size(), slide.size());
    const double threshold = quantile(reference, 0.97);
    const auto settings = PostprocessSettings{}.scaledTo(50);
    const int count = detectObjects(reference, threshold, settings).count();
    QVERIFY(count > 0);
    for (const auto& [name, mode] : {std::pair{"staged", staged}, std::pair{"tiled", tiled}}) {
      const cv::Mat heatmap = HeatmapPredictor(seededModel(), mode).predict(slide, 50);
      QCOMPARE(heatmap.size(), slide.size());
      const double difference = cv::norm(reference, heatmap, cv::NORM_INF);
      qInfo("%s: largest heatmap difference from the whole-image pass %g", name, difference);
      QVERIFY(difference < 1e-4);
      QCOMPARE(detectObjects(heatmap, threshold, settings).count(), count);
    }
  }

  void resamplingReturnsAHeatmapAtTheImagesOwnSize() {
    const cv::Mat crop = slide(cv::Rect(100, 100, 301, 203)).clone();
    const HeatmapPredictor predictor(seededModel());
    // 12 px cells are drawn at the model's 25 px: the crop becomes 627x423, more than one 448 px tile.
    for (double diameter : {12.0, 25.0, 50.0, 80.0}) {
      const cv::Mat heatmap = predictor.predict(crop, diameter);
      QCOMPARE(heatmap.size(), crop.size());
      double lo = 0, hi = 0;
      cv::minMaxLoc(heatmap, &lo, &hi);
      QVERIFY(lo >= 0 && hi <= 1);
    }
  }

  void sameInputSameHeatmap() {
    const cv::Mat crop = slide(cv::Rect(0, 0, 256, 256)).clone();
    const HeatmapPredictor predictor(seededModel());
    QCOMPARE(cv::norm(predictor.predict(crop, 50), predictor.predict(crop, 50), cv::NORM_INF), 0.0);
  }

  // The network reads the slide's own pixels where it can (float32 on the CPU, no resampling, no padding: the
  // slide is a multiple of the network's size step), so it must never write to them: in every precision and in
  // every way of running, the caller's image is left exactly as it was, and a view into a larger image works.
  void theNetworkLeavesTheSlideAsItWas() {
    const cv::Mat view = slide(cv::Rect(0, 0, 512, 480));  // a view: not continuous, rows of the whole slide
    QVERIFY(!view.isContinuous());
    const cv::Mat original = slide.clone();
    InferenceSettings whole;
    whole.maxWholePixels = std::int64_t(1) << 40;
    InferenceSettings staged;
    staged.maxWholePixels = 0;
    staged.tileSide = 256;
    std::vector<InferenceSettings> modes{whole, staged};
    for (NetworkPrecision reduced : {NetworkPrecision::BFloat16, NetworkPrecision::Int8})
      if (precisionAvailable(reduced, DevicePreference::Cpu)) {
        staged.precision = reduced;
        modes.push_back(staged);
      }
    for (const InferenceSettings& mode : modes) {
      const HeatmapPredictor predictor(seededModel(), mode);
      const int multiple = 16;  // what c-ResUnet pads to; both images are already multiples of it
      QCOMPARE(slide.cols % multiple + slide.rows % multiple + view.cols % multiple + view.rows % multiple, 0);
      const cv::Mat ofSlide = predictor.predict(slide, 25), ofView = predictor.predict(view, 25);
      QCOMPARE(cv::norm(slide, original, cv::NORM_INF), 0.0);
      QCOMPARE(ofView.size(), view.size());
      QVERIFY(ofSlide.isContinuous() && ofView.isContinuous());
    }
  }

  // An int8 convolution (core/int8_convolution) computes what float32 computes on its quantized input and weights:
  // the sums are exact in int32, and oneDNN's zero point and its zero padding at the tile's edges must agree with a
  // float convolution's. Real activations and weights: the bundled model's first encoder level on a crop of a real
  // slide, into the model's own enc2 convolution. The quantization itself is within half a step of the values.
  void int8ConvolutionComputesWhatFloatComputesOnItsQuantizedInput() {
    std::string whyNot;
    if (!int8ConvolutionAvailable(&whyNot)) QSKIP(("no int8 here: " + whyNot).c_str());
    Model model = loadModel(std::string(FLUOCOUNT_SOURCE_MODELS_DIR) + "/default.fcmodel");
    model.network->eval();
    c10::InferenceMode inferenceMode;
    const cv::Mat crop = slide(cv::Rect(600, 400, 96, 80)).clone();
    const auto input =
        torch::from_blob(const_cast<float*>(crop.ptr<float>()), {1, crop.rows, crop.cols, 3}, torch::kFloat32)
            .permute({0, 3, 1, 2})
            .contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor e1 = model.network->encode(input).skips[0];
    const auto noScale = torch::ones({e1.size(1)}), noShift = torch::zeros({e1.size(1)});
    const QuantizedActivations q = quantizeScaleShiftElu(e1, noScale, noShift);
    const auto dequantized = [](const QuantizedActivations& a) {
      return (a.values.to(torch::kFloat32) - a.zeroPoint) * a.scale;
    };
    QVERIFY(q.values.max().item<int>() <= kQuantizedLevels);
    QVERIFY((dequantized(q) - torch::elu(e1)).abs().max().item<float>() <= 0.5f * q.scale + 1e-6f);

    const auto parameters = model.network->named_parameters();
    const torch::Tensor weight = parameters["enc2.block.conv1.weight"], bias = parameters["enc2.block.conv1.bias"];
    const Int8Convolution convolution(weight, bias);
    QCOMPARE(convolution.inputChannels(), e1.size(1));
    const auto weightScales = weight.abs().amax({1, 2, 3}, true) / 127;
    const auto quantizedWeight = (weight / weightScales).round().clamp(-127, 127) * weightScales;
    const auto expected = torch::conv2d(dequantized(q), quantizedWeight, bias, 1, 1);
    const auto tolerance = 1e-5f * (1.0f + expected.abs().max().item<float>());
    const float difference = (convolution.convolve(q) - expected).abs().max().item<float>();
    qInfo("int8 convolution against float32 on the same quantized values: largest difference %g (values up to %g)",
          difference, expected.abs().max().item<float>());
    QVERIFY(difference <= tolerance);
    const QuantizedActivations activated = convolution.convolveElu(q);
    QVERIFY((dequantized(activated) - torch::elu(expected)).abs().max().item<float>() <=
            0.5f * activated.scale + tolerance);

    // Inputs of many sizes (a folder of small slides, each run whole): every size is still exact, and only a few
    // sizes' primitives are kept.
    for (int width = 20; width <= 92; width += 6) {
      const auto part = e1.narrow(3, 0, width).contiguous(torch::MemoryFormat::ChannelsLast);
      const QuantizedActivations partQ = quantizeScaleShiftElu(part, noScale, noShift);
      const auto partExpected = torch::conv2d(dequantized(partQ), quantizedWeight, bias, 1, 1);
      QVERIFY((convolution.convolve(partQ) - partExpected).abs().max().item<float>() <= tolerance);
    }
    QVERIFY(convolution.keptShapes() <= 8);
  }

  // int8 is named on the command line as "int8", and is refused, saying why, for a network without int8
  // convolutions (a Unet would otherwise run in float32 while its device said int8).
  void int8IsNamedAndRefusedWhereItWouldNotRun() {
    QCOMPARE(parsePrecision("int8"), NetworkPrecision::Int8);
    QCOMPARE(precisionName(NetworkPrecision::Int8), std::string("int8"));
    if (!int8ConvolutionAvailable()) QSKIP("no int8 here");
    InferenceSettings int8;
    int8.device = DevicePreference::Cpu;
    int8.precision = NetworkPrecision::Int8;
    QVERIFY(QString::fromStdString(HeatmapPredictor(seededModel(), int8).deviceDescription()).endsWith("int8"));
    try {
      HeatmapPredictor(untrainedModel(Architecture::Unet), int8);
      QFAIL("int8 was accepted for a Unet");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains("unet") && QString(e.what()).contains("float32"), e.what());
    }
  }

  void deviceIsReported() {
    InferenceSettings cpu;
    cpu.device = DevicePreference::Cpu;
    cpu.threads = 1;
    const HeatmapPredictor predictor(seededModel(), cpu);
    QVERIFY(QString::fromStdString(predictor.deviceDescription()).startsWith("CPU"));
    if (!torch::cuda::is_available()) {
      InferenceSettings cuda;
      cuda.device = DevicePreference::Cuda;
      QVERIFY_THROWS_EXCEPTION(std::runtime_error, HeatmapPredictor(seededModel(), cuda));
    }
  }
};

QTEST_GUILESS_MAIN(InferenceTest)
#include "test_inference.moc"
