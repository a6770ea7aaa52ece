// fluocount-cli bench: medians of several runs of the network forward pass on a real slide, post-processing and
// a 20-threshold sweep, plus peak memory; optionally side by side with the same network in Python PyTorch.
#include "app/cli_common.h"
#include "core/threshold_sweep.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

#include <sys/resource.h>

#include <algorithm>
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
std::optional<PythonBaseline> runPythonBaseline(const QString& script, int threads) {
  QProcess python;
  python.start("/usr/bin/python3", {script, "infer", QString::number(threads)});
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
      {"no-baseline", "Do not run the Python PyTorch peer benchmark."},
      {"tile", "Tile side in network-scale pixels (default 512).", "px"},
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
  InferenceSettings inference;
  if (parser.isSet("threads")) inference.threads = static_cast<int>(numberOption(parser, "threads", 1, 1024));
  if (parser.isSet("tile")) inference.tileSide = static_cast<int>(numberOption(parser, "tile", 16, 1 << 16));
  if (parser.isSet("max-whole"))
    inference.maxWholePixels = static_cast<std::int64_t>(numberOption(parser, "max-whole", 0, 1e12));
  if (parser.isSet("max-staged"))
    inference.maxStagedPixels = static_cast<std::int64_t>(numberOption(parser, "max-staged", 0, 1e12));

  Model model;
  std::string modelName;
  const auto modelPath = parser.isSet("model") ? std::optional(parser.value("model").toStdString()) : defaultModelPath();
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
  const double diameter = info.canonicalDiameterPx;
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

  // The peer runs last so that it does not disturb FluoCount's figures. Its peak-memory figure is its own
  // whenever it exceeds FluoCount's (a child process inherits the parent's peak).
  std::optional<PythonBaseline> python;
  const QString script = QStringLiteral(FLUOCOUNT_SHARED_DIR) + "/bench/pytorch_cresunet.py";
  if (!parser.isSet("no-baseline") && QFileInfo::exists(script) && QFileInfo::exists("/usr/bin/python3"))
    python = runPythonBaseline(script, predictor.cpuThreads());
  if (python) {
    std::printf("\nPython PyTorch peer (same c-ResUnet, 1x3x1200x1600, %d threads, run after the figures above):\n  %s\n",
                predictor.cpuThreads(), python->summary.c_str());
    std::printf("forward: FluoCount %.3f s vs Python PyTorch %.3f s: Python takes %.2fx FluoCount's time\n",
                forward.median, python->medianSeconds, python->medianSeconds / forward.median);
  }
  return 0;
}

}  // namespace fluocount::cli
