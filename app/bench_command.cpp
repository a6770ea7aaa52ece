// fluocount-cli bench: medians of several runs of the network forward pass on a real slide, post-processing and
// a 20-threshold sweep, plus peak memory; optionally side by side with the same network in Python PyTorch.
#include "app/cli_common.h"
#include "core/networks.h"
#include "core/threshold_sweep.h"
#include "core/training_data.h"
#include "core/training_step.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <chrono>
#include <cstdio>
#include <functional>

namespace fluocount::cli {
namespace {

struct Timing {
  double median = 0, min = 0, max = 0;
};

Timing timeRuns(int runs, const std::function<void()>& work) {
  work();  // warm-up: allocator, thread pool and caches
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {seconds[seconds.size() / 2], seconds.front(), seconds.back()};
}

double peakResidentMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

void printTiming(const char* what, const Timing& t) {
  std::printf("%-34s median %7.3f s   min %7.3f   max %7.3f\n", what, t.median, t.min, t.max);
}

struct PythonBaseline {
  double medianSeconds = 0;
  std::string summary;  // the script's own result line
};

// The same c-ResUnet in Python PyTorch (../shared/bench/pytorch_cresunet.py), run now on this machine.
std::optional<PythonBaseline> runPythonBaseline(const QString& script, const QStringList& arguments) {
  QProcess python;
  python.start("/usr/bin/python3", QStringList{script} + arguments);
  if (!python.waitForFinished(15 * 60 * 1000) || python.exitCode() != 0) {
    std::fprintf(stderr, "baseline: %s failed: %s\n", qPrintable(script),
                 python.readAllStandardError().right(400).constData());
    return std::nullopt;
  }
  const QString output = QString::fromLocal8Bit(python.readAllStandardOutput()).trimmed();
  const auto match = QRegularExpression("median ([0-9.]+) s").match(output);
  if (!match.hasMatch()) return std::nullopt;
  return PythonBaseline{match.captured(1).toDouble(), output.section('\n', -1).toStdString()};
}

// c-ResUnet training step on a batch of 4 augmented 512x512 crops of the slide (with its mask when the slide
// sits in a dataset folder): data preparation alone, the step alone, and both with the background producer.
Timing benchTrainingStep(const std::string& imagePath, const ModelInfo& info, int runs) {
  const std::filesystem::path image(imagePath);
  const std::filesystem::path mask = image.parent_path().parent_path() / "masks" / (image.stem().string() + ".png");
  if (!std::filesystem::exists(mask)) {
    std::printf("\ntraining step: skipped (no mask at %s)\n", mask.string().c_str());
    return {};
  }
  const PreparedImage slide = prepareExample({imagePath, mask.string(), info.canonicalDiameterPx, 4},
                                             info.canonicalDiameterPx, info.normalisation, {});
  const std::vector<PreparedImage> images{slide};
  const auto samples = trainingSamples(images, {100}, 512, 400, {}, 0);
  torch::manual_seed(0);
  auto network = makeNetwork(info.architecture);
  network->train();
  torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(0.006));
  const LossSettings loss;
  auto tensorsOf = [](const std::vector<TrainingCrop>& crops) {
    const int n = int(crops.size());
    auto x = torch::empty({n, 3, 512, 512}), y = torch::empty({n, 1, 512, 512}), w = torch::empty({n, 1, 512, 512});
    for (int i = 0; i < n; ++i) {
      x[i].copy_(torch::from_blob(crops[i].image.data, {512, 512, 3}).permute({2, 0, 1}));
      y[i][0].copy_(torch::from_blob(crops[i].mask.data, {512, 512}));
      w[i][0].copy_(torch::from_blob(crops[i].weights.data, {512, 512}));
    }
    return std::array<torch::Tensor, 3>{x, y, w};
  };
  std::size_t next = 0;
  auto makeBatch = [&] {
    std::vector<TrainingCrop> crops;
    for (int i = 0; i < 4; ++i, ++next) {
      const CropSample& sample = samples[next % samples.size()];
      crops.push_back(makeCrop(slide.rgb, slide.mask, slide.weights, sample.origin, 512, true, {}, next));
    }
    return crops;
  };
  const Timing preparation = timeRuns(runs, [&] { makeBatch(); });
  const auto batch = tensorsOf(makeBatch());
  const Timing step = timeRuns(runs, [&] { trainStep(*network, optimizer, batch[0], batch[1], batch[2], loss); });
  BatchProducer producer(images, std::vector<CropSample>(samples.begin(), samples.begin() + 4 * (runs + 1)), 4, 512,
                         3.8, {}, 1);
  const Timing overlapped = timeRuns(runs, [&] {
    const auto b = tensorsOf(*producer.next());
    trainStep(*network, optimizer, b[0], b[1], b[2], loss);
  });
  std::printf("\ntraining (%s, batch 4 of 512x512 augmented crops, weighted BCE, Adam):\n",
              architectureName(info.architecture).c_str());
  printTiming("data preparation of one batch", preparation);
  printTiming("training step (forward+backward+Adam)", step);
  printTiming("step with background data producer", overlapped);
  std::printf("%-34s %.2f crops/s\n", "training throughput", 4.0 / overlapped.median);
  return step;
}

}  // namespace

int runBenchCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Time the counting pipeline on one real slide: the network forward pass (resampling included), "
      "post-processing at the model's threshold, and a sweep over 20 thresholds; medians of several runs after a "
      "warm-up. Without a model file a freshly initialised c-ResUnet is timed (same cost as a trained one).");
  parser.addOptions({
      {"image", "The slide to time (default: the first FNC yellow slide in ../shared/data).", "file"},
      {"model", "Model file to time (default: the bundled model, else an untrained c-ResUnet).", "file"},
      {"runs", "Timed runs per figure (default 5).", "n", "5"},
      {"threads", "CPU threads (default: all cores).", "n"},
      {"device", "auto, cpu or cuda (default auto).", "device", "auto"},
      {"no-baseline", "Do not run the Python PyTorch peer benchmark."},
      {"no-training", "Skip the training-step figures."},
      {"tile", "Preferred tile side in network-scale pixels (default 448).", "px"},
      {"max-whole", "Largest image, in pixels, run in one pass (default 0).", "n"},
      {"max-staged", "Largest image, in pixels, run in staged tiles (default 6000000).", "n"},
  });
  parseOrExit(parser, arguments);
  const int runs = static_cast<int>(numberOption(parser, "runs", 1, 1000));

  QString imagePath = parser.value("image");
  if (imagePath.isEmpty()) {
    const auto found = collectImages({QStringLiteral(FLUOCOUNT_SHARED_DIR) + "/data/fnc-yellow/images"});
    imagePath = QString::fromStdString(found.front());
  }
  InferenceSettings inference = inferenceFromOptions(parser);
  if (parser.isSet("tile")) inference.tileSide = static_cast<int>(numberOption(parser, "tile", 16, 1 << 16));
  if (parser.isSet("max-whole"))
    inference.maxWholePixels = static_cast<std::int64_t>(numberOption(parser, "max-whole", 0, 1e12));
  if (parser.isSet("max-staged"))
    inference.maxStagedPixels = static_cast<std::int64_t>(numberOption(parser, "max-staged", 0, 1e12));

  Model model;
  std::string modelName;
  const auto modelPath =
      parser.isSet("model") ? std::optional(parser.value("model").toStdString()) : defaultModelPath();
  if (modelPath) {
    model = loadModel(*modelPath);
    modelName = *modelPath;
  } else {
    model = untrainedModel(Architecture::CResUnet, /*seed=*/0);
    modelName = "untrained c-resunet (no model file)";
  }
  const ModelInfo info = model.info;
  const HeatmapPredictor predictor(std::move(model), inference);

  const RawImage raw = loadImage(imagePath.toStdString());
  const cv::Mat rgb = normaliseToRgb(raw.pixels, info.normalisation);
  const double diameter = info.defaultCellDiameterPx;
  const PostprocessSettings postprocess = info.postprocess.scaledTo(diameter);

  std::printf("slide: %s (%dx%d)\nmodel: %s\ndevice: %s\nruns: %d (median reported, after one warm-up)\n\n",
              qPrintable(imagePath), rgb.cols, rgb.rows, modelName.c_str(), predictor.deviceDescription().c_str(),
              runs);
  cv::Mat heatmap;
  const Timing forward = timeRuns(runs, [&] { heatmap = predictor.predict(rgb, diameter); });
  printTiming("network forward (heatmap)", forward);
  const double forwardPeak = peakResidentMegabytes();

  int count = 0;
  const Timing post = timeRuns(runs, [&] { count = detectObjects(heatmap, info.threshold, postprocess).count(); });
  printTiming("post-processing", post);

  const std::vector<SweepImage> sweepImages{{"slide", heatmap, postprocess, std::nullopt}};
  const Timing sweep = timeRuns(runs, [&] { sweepThresholds(sweepImages, defaultSweepThresholds(), {}); });
  printTiming("20-threshold sweep", sweep);
  std::printf("%-34s %d cells at threshold %.3f\n", "count", count, info.threshold);
  std::printf("%-34s %.0f MB (after the forward runs %.0f MB)\n", "peak resident memory", peakResidentMegabytes(),
              forwardPeak);

  std::optional<Timing> trainingStep;
  if (!parser.isSet("no-training")) trainingStep = benchTrainingStep(imagePath.toStdString(), info, runs);

  // The peer runs last so that it does not disturb FluoCount's figures. Its peak-memory figure is its own
  // whenever it exceeds FluoCount's (a child process inherits the parent's peak).
  std::optional<PythonBaseline> python;
  const QString script = QStringLiteral(FLUOCOUNT_SHARED_DIR) + "/bench/pytorch_cresunet.py";
  if (!parser.isSet("no-baseline") && QFileInfo::exists(script) && QFileInfo::exists("/usr/bin/python3"))
    python = runPythonBaseline(script, {"infer", QString::number(predictor.cpuThreads())});
  if (python) {
    std::printf(
        "\nPython PyTorch peer (same c-ResUnet, 1x3x1200x1600, %d threads, run after the figures above):\n  %s\n",
        predictor.cpuThreads(), python->summary.c_str());
    std::printf("forward: FluoCount %.3f s vs Python PyTorch %.3f s: Python takes %.2fx FluoCount's time\n",
                forward.median, python->medianSeconds, python->medianSeconds / forward.median);
  }
  if (trainingStep && !parser.isSet("no-baseline") && QFileInfo::exists(script)) {
    if (const auto pythonStep =
            runPythonBaseline(script, {"train", QString::number(predictor.cpuThreads()), "4", "512"})) {
      std::printf("Python PyTorch training step (batch 4, 512x512, BCE, Adam):\n  %s\n", pythonStep->summary.c_str());
      std::printf("training step: FluoCount %.3f s vs Python PyTorch %.3f s: Python takes %.2fx FluoCount's time\n",
                  trainingStep->median, pythonStep->medianSeconds, pythonStep->medianSeconds / trainingStep->median);
    }
  }
  return 0;
}

}  // namespace fluocount::cli
