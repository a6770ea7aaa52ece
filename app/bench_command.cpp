// fluocount-cli bench: the network forward pass on a real slide against the same c-ResUnet in Python PyTorch (its
// default setup and a tuned one) on the same input, in alternating rounds, beside the compute floor; then the
// count's real cost at the model's scale, post-processing, the threshold sweep, peak memory and the training step.
#include "app/cli_common.h"
#include "core/count_pipeline.h"
#include "core/detections_at_thresholds.h"
#include "core/int8_convolution.h"
#include "core/locations.h"
#include "core/networks.h"
#include "core/slide_folder.h"
#include "core/threshold_sweep.h"
#include "core/torch_include.h"
#include "core/training_data.h"
#include "core/training_step.h"
#include "core/true_cells.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>

#include <nlohmann/json.hpp>

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

void printTiming(FILE* out, const char* what, const Timing& t) {
  std::fprintf(out, "%-34s median %7.3f s   min %7.3f   max %7.3f\n", what, t.median, t.min, t.max);
}

// One run of the Python PyTorch peer (../shared/bench/pytorch_cresunet.py): its median, spread and peak memory.
struct PeerRun {
  double median = 0, min = 0, max = 0, peakMegabytes = 0;
  std::string line;  // the script's own result line
};

// How the peer is run: a default install (glibc malloc, no_grad); tuned as a careful Python user would (tcmalloc
// preloaded, inference_mode, and for the forward pass channels-last tensors, which help oneDNN as they help
// FluoCount); and tuned in bfloat16 (torch.autocast on the CPU), the peer of FluoCount's --precision bfloat16.
enum class PeerSetup { Default, Tuned, TunedBfloat16 };

const char* peerName(PeerSetup setup) {
  switch (setup) {
    case PeerSetup::Default: return "Python PyTorch, default (glibc malloc)";
    case PeerSetup::Tuned: return "Python PyTorch, tuned (tcmalloc preloaded)";
    case PeerSetup::TunedBfloat16: return "Python PyTorch, tuned, bfloat16 autocast";
  }
  return "";
}

// The tuned forward passes, beyond what the shared peer script offers: its network and timing, loaded from its
// path (argv[1]), run under inference_mode in channels-last, in float32 or under bfloat16 autocast (argv[2]).
constexpr const char* kTunedForwardPeer = R"(
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("peer", sys.argv[1])
peer = importlib.util.module_from_spec(spec); spec.loader.exec_module(peer)
torch.set_num_threads(int(sys.argv[3])); torch.manual_seed(0)
net = peer.CResUnet().eval().to(memory_format=torch.channels_last)
x = torch.rand(1, 3, 1200, 1600).contiguous(memory_format=torch.channels_last)
with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=sys.argv[2] == "bfloat16"):
    m = peer.med(lambda: net(x))
print(f"py infer {sys.argv[2]} channels_last: median {m[0]:.3f} s min {m[1]:.3f} max {m[2]:.3f} peakRSS {peer.rss():.0f} MB")
)";

// The peer's training step in bfloat16, beyond what the shared peer script offers: its network, batch, loss and
// timing (argv[1]: its path), with the forward pass under bfloat16 autocast and the loss in float32, as FluoCount's
// `train --precision bfloat16` runs it (argv[2]: threads; argv[3]: "channels_last" or "contiguous").
constexpr const char* kBfloat16TrainingPeer = R"(
import importlib.util, sys, torch, torch.nn.functional as F
spec = importlib.util.spec_from_file_location("peer", sys.argv[1])
peer = importlib.util.module_from_spec(spec); spec.loader.exec_module(peer)
torch.set_num_threads(int(sys.argv[2])); torch.manual_seed(0)
layout = torch.channels_last if sys.argv[3] == "channels_last" else torch.contiguous_format
net = peer.CResUnet().train().to(memory_format=layout)
opt = torch.optim.Adam(net.parameters(), 1e-3)
x = torch.rand(4, 3, 512, 512).contiguous(memory_format=layout); tgt = (torch.rand(4, 1, 512, 512) > 0.9).float()
def step():
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = net(x)
    loss = F.binary_cross_entropy(y.float(), tgt); loss.backward(); opt.step()
m = peer.med(step)
print(f"py train bfloat16 autocast {sys.argv[3]} B=4 512x512: median {m[0]:.3f} s min {m[1]:.3f} max {m[2]:.3f} peakRSS {peer.rss():.0f} MB")
)";

// `arguments`: the shared script's ("infer THREADS" or "train THREADS BATCH SIZE").
std::optional<PeerRun> runPeer(const QString& script, QStringList arguments, PeerSetup setup) {
  QProcess python;
  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
  environment.remove("LD_PRELOAD");
  QStringList command = QStringList{script} + arguments;
  if (setup != PeerSetup::Default) {
    if (QStringLiteral(FLUOCOUNT_TCMALLOC).isEmpty()) return std::nullopt;
    environment.insert("LD_PRELOAD", QStringLiteral(FLUOCOUNT_TCMALLOC));
    if (arguments.front() == "infer")
      command = {"-c", kTunedForwardPeer, script, setup == PeerSetup::TunedBfloat16 ? "bfloat16" : "float32",
                 arguments.at(1)};
    else if (setup == PeerSetup::TunedBfloat16)
      command = {"-c", kBfloat16TrainingPeer, script, arguments.at(1), arguments.value(4, "contiguous")};
  }
  python.setProcessEnvironment(environment);
  python.start("/usr/bin/python3", command);
  if (!python.waitForFinished(15 * 60 * 1000) || python.exitCode() != 0) {
    std::fprintf(stderr, "bench: %s %s failed: %s\n", qPrintable(script), qPrintable(arguments.join(' ')),
                 python.readAllStandardError().right(400).constData());
    return std::nullopt;
  }
  const QString output = QString::fromLocal8Bit(python.readAllStandardOutput()).trimmed();
  const auto match =
      QRegularExpression("median ([0-9.]+) s min ([0-9.]+) max ([0-9.]+) peakRSS ([0-9.]+) MB").match(output);
  if (!match.hasMatch()) return std::nullopt;
  return PeerRun{match.captured(1).toDouble(), match.captured(2).toDouble(), match.captured(3).toDouble(),
                 match.captured(4).toDouble(), output.section('\n', -1).toStdString()};
}

// The machine's single-precision matrix multiply rate through LibTorch (2048 x 2048, best of 5): what the
// convolutions could reach at best, for the compute floor.
double measureSgemmGflops() {
  torch::NoGradGuard noGrad;
  const int n = 2048;
  const auto a = torch::rand({n, n}), b = torch::rand({n, n});
  torch::mm(a, b);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    torch::mm(a, b);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return 2.0 * n * n * n / best / 1e9;
}

std::string cpuModel() {
  QFile cpuinfo("/proc/cpuinfo");
  if (!cpuinfo.open(QIODevice::ReadOnly)) return "unknown CPU";
  for (const QByteArray& line : cpuinfo.readAll().split('\n'))
    if (line.startsWith("model name")) return line.mid(line.indexOf(':') + 1).trimmed().toStdString();
  return "unknown CPU";
}

double medianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

// The app's threshold curves for a folder: each slide's 20-threshold sweep, matched against its mask where it has
// one, exactly as the app computes it when a slide is counted (ui/model/slide_analysis); the folder's curve is then
// the sum of its slides' (combineSweeps, negligible). A folder of 20 slides is timed as each slide of `folder`
// repeated up to 20.
nlohmann::json benchFolderCurves(FILE* out, const CellCounter& counter, const std::string& folder, int runs) {
  std::vector<SweepImage> images;
  std::vector<double> diameters;  // the match distance of each slide
  for (const SlideFiles& slide : scanSlideFolder(folder).slides) {
    const ImageCount counted = counter.count(slide.image);
    diameters.push_back(counted.cellDiameterPx);
    std::optional<Detection> truth;
    if (!slide.mask.empty())
      truth = measureLabels(trueCells(slide.mask, slide.labels, counted.size, slide.image).labels);
    images.push_back(
        {std::filesystem::path(slide.image).filename().string(), counted.heatmap, counted.postprocess, truth});
  }
  std::fprintf(
      out, "\nthreshold curves, as the app computes them (each slide's 20-threshold sweep and F1 against its mask):\n");
  nlohmann::json slides, rematched, recounted;
  double sumOfMedians = 0, sumOfRematches = 0, sumOfRecounts = 0, sumOfWholeImageRecounts = 0;
  const double offTheSweep = 0.8615;  // a threshold the slider gives and the sweep has not: the slide counted again
  for (std::size_t i = 0; i < images.size(); ++i) {
    SweepImage image = images[i];
    const Timing sweep = timeRuns(runs, [&] { sweepThresholds({image}, defaultSweepThresholds(), {diameters[i]}); });
    // After a mask edit the app matches the objects kept from the count against the new mask (SweepImage::objects).
    image.objects = detectAtThresholds(image, defaultSweepThresholds());
    const Timing rematch = timeRuns(runs, [&] { sweepThresholds({image}, defaultSweepThresholds(), {diameters[i]}); });
    std::fprintf(out, "  %-32s %dx%d  median %.3f s  min %.3f  max %.3f; matched again after an edit %.4f s\n",
                 image.name.c_str(), image.heatmap.cols, image.heatmap.rows, sweep.median, sweep.min, sweep.max,
                 rematch.median);
    slides[image.name] = sweep.median;
    rematched[image.name] = rematch.median;
    sumOfMedians += sweep.median;
    sumOfRematches += rematch.median;
    // The folder's count at that threshold, as the app recounts it (cluster by cluster), against detecting on the
    // whole image (what it did before, and what the overlay of the slide on screen still does).
    const Timing recount = timeRuns(runs, [&] { countObjectsAt(image.heatmap, offTheSweep, image.postprocess); });
    const Timing whole = timeRuns(runs, [&] { detectObjects(image.heatmap, offTheSweep, image.postprocess); });
    std::fprintf(out, "  %-32s counted again at %.4f: %.4f s (on the whole image %.4f s)\n", "", offTheSweep,
                 recount.median, whole.median);
    recounted[image.name] = {{"seconds", recount.median}, {"whole_image_seconds", whole.median}};
    sumOfRecounts += recount.median;
    sumOfWholeImageRecounts += whole.median;
  }
  const double perSlide = images.empty() ? 0 : 20.0 / images.size();
  const double twentySlides = sumOfMedians * perSlide, twentyRematches = sumOfRematches * perSlide;
  std::fprintf(out, "  %-32s %.3f s (the %zu slides above, each %.0f times); matched again after edits: %.4f s\n",
               "a folder of 20 such slides", twentySlides, images.size(), perSlide, twentyRematches);
  std::fprintf(out, "  %-32s counted again at %.4f, one slide after another: %.3f s (on the whole image %.3f s)\n",
               "a folder of 20 such slides", offTheSweep, sumOfRecounts * perSlide, sumOfWholeImageRecounts * perSlide);
  return {{"slides", slides},
          {"recounted_off_the_sweep", recounted},
          {"twenty_slides_recounted_seconds", sumOfRecounts * perSlide},
          {"twenty_slides_recounted_whole_image_seconds", sumOfWholeImageRecounts * perSlide},
          {"twenty_slides_seconds", twentySlides},
          {"rematched_after_edit", rematched},
          {"twenty_slides_rematched_seconds", twentyRematches}};
}

// c-ResUnet training step on a batch of 4 augmented 512x512 crops of the slide (with its mask when the slide
// sits in a dataset folder): data preparation alone, the step alone, and both with the background producer.
// A folder counted one image at a time and as a pipeline (core/count_pipeline.h), in alternating rounds: images
// per second each way and whether every image's count agrees.
nlohmann::json benchFolder(FILE* out, const char* what, const CellCounter& counter,
                           const std::vector<std::string>& paths, int rounds) {
  // Where an image's time goes, one at a time: reading and normalising, the network, post-processing.
  double stageSeconds[3] = {0, 0, 0};
  for (const std::string& path : paths) {
    auto start = std::chrono::steady_clock::now();
    auto lap = [&](double& total) {
      const auto now = std::chrono::steady_clock::now();
      total += std::chrono::duration<double>(now - start).count();
      start = now;
    };
    ImageCount image = counter.prepareCount(loadImage(path, counter.settings().limits));
    lap(stageSeconds[0]);
    counter.computeHeatmap(image);
    lap(stageSeconds[1]);
    counter.finishCount(image);
    lap(stageSeconds[2]);
  }
  const double perImage = (stageSeconds[0] + stageSeconds[1] + stageSeconds[2]) / double(paths.size());
  std::fprintf(out, "  %-44s per image %.3f s: read %.0f %%, network %.0f %%, post-processing %.0f %%\n", what,
               perImage, 100 * stageSeconds[0] / perImage / double(paths.size()),
               100 * stageSeconds[1] / perImage / double(paths.size()),
               100 * stageSeconds[2] / perImage / double(paths.size()));
  std::vector<double> oneAtATime, pipelined;
  std::vector<int> counts[2];
  for (int round = 1; round <= rounds; ++round) {
    for (const bool overlap : {false, true}) {
      PipelineSettings settings;
      settings.overlap = overlap ? Overlap::Always : Overlap::Never;
      std::vector<int>& countsNow = counts[overlap];
      countsNow.clear();
      const auto start = std::chrono::steady_clock::now();
      countInOrder(
          counter, paths,
          [&](CountOutcome&& outcome) { countsNow.push_back(outcome.count ? outcome.count->detection.count() : -1); },
          settings);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      (overlap ? pipelined : oneAtATime).push_back(double(paths.size()) / seconds);
    }
    std::fprintf(out, "  %-44s round %d: %6.2f images/s one at a time, %6.2f as a pipeline\n", what, round,
                 oneAtATime.back(), pipelined.back());
  }
  const bool identical = counts[0] == counts[1];
  const bool automatic = overlapsStages(counter, {});
  std::fprintf(out,
               "  %-44s median: %6.2f images/s one at a time, %6.2f as a pipeline (%.2fx); same counts: %s; "
               "count's default here (--pipeline auto): %s\n",
               what, medianOf(oneAtATime), medianOf(pipelined), medianOf(pipelined) / medianOf(oneAtATime),
               identical ? "yes" : "NO", automatic ? "pipeline" : "one at a time");
  return {
      {"images", paths.size()},
      {"stage_seconds", {{"read", stageSeconds[0]}, {"network", stageSeconds[1]}, {"postprocess", stageSeconds[2]}}},
      {"one_at_a_time_images_per_second", oneAtATime},
      {"pipeline_images_per_second", pipelined},
      {"speedup_median", medianOf(pipelined) / medianOf(oneAtATime)},
      {"same_counts", identical},
      {"automatic_overlaps", automatic}};
}

// The training step's medians: float32, and mixed bfloat16 where this machine computes it natively.
struct TrainingStepTimings {
  Timing float32;
  std::optional<Timing> bfloat16;
};

TrainingStepTimings benchTrainingStep(FILE* out, const std::string& imagePath, const ModelInfo& info, int runs) {
  const std::string mask = maskFileFor(slideFolderOfImage(imagePath), imagePath);
  if (!std::filesystem::exists(mask)) {
    std::fprintf(out, "\ntraining step: skipped (no mask at %s)\n", mask.c_str());
    return {};
  }
  const PreparedImage slide =
      prepareExample({imagePath, mask, info.canonicalDiameterPx, 4}, info.canonicalDiameterPx, info.normalisation, {});
  const std::vector<PreparedImage> images{slide};
  const auto samples = trainingSamples(images, {100}, 512, 400, {}, 0);
  torch::manual_seed(0);
  auto network = makeNetwork(info.architecture);
  network->train();
  layOutWeightsFor(*network, torch::kCPU);  // as the trainer does
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
  std::optional<Timing> bfloat16Step;
  if (cpuHasNativeBfloat16())
    bfloat16Step = timeRuns(runs, [&] {
      trainStep(*network, optimizer, batch[0], batch[1], batch[2], loss, StepArithmetic::MixedBfloat16);
    });
  BatchProducer producer(images, std::vector<CropSample>(samples.begin(), samples.begin() + 4 * (runs + 1)), 4, 512,
                         3.8, {}, 1);
  const Timing overlapped = timeRuns(runs, [&] {
    const auto b = tensorsOf(*producer.next());
    trainStep(*network, optimizer, b[0], b[1], b[2], loss);
  });
  std::fprintf(out, "\ntraining (%s, batch 4 of 512x512 augmented crops, weighted BCE, Adam):\n",
               architectureName(info.architecture).c_str());
  printTiming(out, "data preparation of one batch", preparation);
  printTiming(out, "training step (forward+backward+Adam)", step);
  if (bfloat16Step) printTiming(out, "the same step in mixed bfloat16", *bfloat16Step);
  printTiming(out, "step with background data producer", overlapped);
  std::fprintf(out, "%-34s %.2f crops/s\n", "training throughput", 4.0 / overlapped.median);
  return {step, bfloat16Step};
}

}  // namespace

int runBenchCommand(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Time the counting pipeline on one real slide against the same c-ResUnet in Python PyTorch, like with like: "
      "the forward pass on the same 1600x1200 input for both sides, in alternating rounds, beside the compute "
      "floor (the network's arithmetic over this machine's SGEMM rate, measured in the same run); then the "
      "forward pass at the model's own scale (what a count costs), post-processing, a 20-threshold sweep, peak "
      "memory and the training step. Without a model file a freshly initialised c-ResUnet is timed (same cost "
      "as a trained one).");
  parser.addOptions({
      {"image", "The slide to time (default: the first FNC yellow slide in ../shared/data).", "file"},
      {"model", "Model file to time (default: the bundled model, else an untrained c-ResUnet).", "file"},
      {"runs", "Timed runs per figure (default 5).", "n", "5"},
      {"rounds", "Alternating rounds of FluoCount and the peers for the forward pass (default 3).", "n", "3"},
      {"threads", "CPU threads (default: all cores).", "n"},
      {"device", "auto, cpu or cuda (default auto).", "device", "auto"},
      {"precision", "FluoCount's network precision for every figure: float32 (default), bfloat16 or int8.", "type"},
      {"no-baseline", "Do not run the Python PyTorch peer."},
      {"no-training", "Skip the training-step figures."},
      {"no-folder", "Skip the folder figures (one image at a time against the pipeline)."},
      {"folder-copies", "The bundled samples are counted this many times over as one folder (default 25: 100 slides).",
       "n", "25"},
      {"json", "Print the figures as one JSON object on stdout (the text goes to stderr)."},
      {"tile", "Preferred tile side in network-scale pixels (default 448).", "px"},
      {"max-whole", "Largest image, in pixels, run in one pass (default 0).", "n"},
      {"max-staged", "Largest image, in pixels, run in staged tiles (default 6000000).", "n"},
  });
  parseOrExit(parser, arguments);
  const int runs = static_cast<int>(numberOption(parser, "runs", 1, 1000));
  const int rounds = static_cast<int>(numberOption(parser, "rounds", 1, 100));
  const bool json = parser.isSet("json");
  FILE* out = json ? stderr : stdout;

  QString imagePath = parser.value("image");
  if (imagePath.isEmpty()) {
    const auto found = collectImages({QStringLiteral(FLUOCOUNT_SHARED_DIR) + "/data/fnc-yellow/images"});
    imagePath = QString::fromStdString(found.front());
  }
  InferenceSettings inference = inferenceFromOptions(parser);
  inference.precision = precisionFromOptions(parser);
  if (parser.isSet("tile")) inference.tileSide = static_cast<int>(numberOption(parser, "tile", 16, 1 << 16));
  if (parser.isSet("max-whole"))
    inference.maxWholePixels = static_cast<std::int64_t>(numberOption(parser, "max-whole", 0, 1e12));
  if (parser.isSet("max-staged"))
    inference.maxStagedPixels = static_cast<std::int64_t>(numberOption(parser, "max-staged", 0, 1e12));

  Model model;
  std::string modelName;
  const auto modelPath =
      parser.isSet("model") ? std::optional(parser.value("model").toStdString()) : defaultModelPath();
  auto benchModel = [&] { return modelPath ? loadModel(*modelPath) : untrainedModel(Architecture::CResUnet, 0); };
  model = benchModel();
  modelName = modelPath ? *modelPath : "untrained c-resunet (no model file)";
  const ModelInfo info = model.info;
  const double gflop1600 = forwardGflop(*model.network, 1200, 1600);
  const HeatmapPredictor predictor(std::move(model), inference);
  // Where this machine computes bfloat16 natively and the run is in float32, the forward pass is also timed in
  // bfloat16 (--precision bfloat16), against the peer in bfloat16.
  std::optional<HeatmapPredictor> bfloat16Predictor;
  if (inference.precision == NetworkPrecision::Float32 && (predictor.onGpu() || cpuHasNativeBfloat16())) {
    InferenceSettings reduced = inference;
    reduced.precision = NetworkPrecision::BFloat16;
    bfloat16Predictor.emplace(benchModel(), reduced);
  }
  // Likewise int8 on a CPU that runs it (--precision int8), against the float32 peers: the peer has no int8 of its
  // own to compare with (LibTorch's quantized convolutions need the network rewritten and calibrated first).
  std::optional<HeatmapPredictor> int8Predictor;
  if (inference.precision == NetworkPrecision::Float32 && !predictor.onGpu() && int8ConvolutionAvailable()) {
    InferenceSettings reduced = inference;
    reduced.precision = NetworkPrecision::Int8;
    int8Predictor.emplace(benchModel(), reduced);
  }

  const RawImage raw = loadImage(imagePath.toStdString());
  const cv::Mat rgb = normaliseToRgb(raw.pixels, info.normalisation);
  const double diameter = info.defaultCellDiameterPx;
  const PostprocessSettings postprocess = info.postprocess.scaledTo(diameter);
  const double sgemm = measureSgemmGflops();
  const double floorSeconds = gflop1600 / sgemm;

  nlohmann::json report;
  report["date"] = QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString();
  report["cpu"] = cpuModel();
  report["threads"] = predictor.cpuThreads();
  report["device"] = predictor.deviceDescription();
  report["model"] = modelName;
  report["slide"] = imagePath.toStdString();
  report["runs"] = runs;
  report["rounds"] = rounds;
  report["sgemm_gflops"] = sgemm;
  report["forward_gflop_1600x1200"] = gflop1600;
  report["floor_seconds_1600x1200"] = floorSeconds;

  std::fprintf(out,
               "slide: %s (%dx%d)\nmodel: %s\ndevice: %s on %s\nruns: %d per figure (median, after one "
               "warm-up)\n\n",
               qPrintable(imagePath), rgb.cols, rgb.rows, modelName.c_str(), predictor.deviceDescription().c_str(),
               cpuModel().c_str(), runs);
  std::fprintf(out,
               "compute floor: %.1f GFLOP per 1600x1200 forward at %.0f GFLOP/s (SGEMM 2048^3 measured now) "
               "= %.3f s\n\n",
               gflop1600, sgemm, floorSeconds);

  // Like with like: the same 1x3x1200x1600 input for both sides (the slide at scale 1, no resampling), rounds
  // alternating so that the machine's noise shows in every column.
  const QString script = QStringLiteral(FLUOCOUNT_SHARED_DIR) + "/bench/pytorch_cresunet.py";
  const bool peers = !parser.isSet("no-baseline") && QFileInfo::exists(script) && QFileInfo::exists("/usr/bin/python3");
  if (!parser.isSet("no-baseline") && !peers)
    std::fprintf(out, "(no Python peer: %s or /usr/bin/python3 missing)\n", qPrintable(script));
  const QString threads = QString::number(predictor.cpuThreads());
  const bool sameSize = rgb.cols == 1600 && rgb.rows == 1200;
  // The contenders, each timed once per round in this order (FluoCount's bfloat16 first, so that the process's
  // peak memory after it is its own).
  struct Contender {
    std::string name, key;  // key: the JSON name
    std::function<std::optional<PeerRun>()> run;
    std::vector<double> seconds;
    double peakMegabytes = 0;
  };
  cv::Mat heatmap;
  auto fluoCount = [&](const HeatmapPredictor& p) {
    return [&] {
      const Timing t = timeRuns(runs, [&] { heatmap = p.predict(rgb, info.canonicalDiameterPx); });
      return std::optional(PeerRun{t.median, t.min, t.max, peakResidentMegabytes(), ""});
    };
  };
  auto peer = [&, threads](PeerSetup setup) {
    return [&, threads, setup] { return runPeer(script, {"infer", threads}, setup); };
  };
  std::vector<Contender> contenders;
  auto contend = [&](std::string name, std::string key, std::function<std::optional<PeerRun>()> run) {
    Contender c;
    c.name = std::move(name);
    c.key = std::move(key);
    c.run = std::move(run);
    contenders.push_back(std::move(c));
  };
  const bool reducedPrecision = inference.precision == NetworkPrecision::BFloat16;
  if (bfloat16Predictor) contend("FluoCount bf16", "fluocount_bfloat16", fluoCount(*bfloat16Predictor));
  if (reducedPrecision)
    contend("FluoCount bf16", "fluocount_bfloat16", fluoCount(predictor));
  else if (inference.precision == NetworkPrecision::Int8)
    contend("FluoCount int8", "fluocount_int8", fluoCount(predictor));
  else
    contend("FluoCount", "fluocount", fluoCount(predictor));
  // After float32, so float32's peak memory is its own (int8's column then shows the larger of the two).
  if (int8Predictor) contend("FluoCount int8", "fluocount_int8", fluoCount(*int8Predictor));
  if (peers) {
    contend("Python default", "python_default", peer(PeerSetup::Default));
    contend("Python tuned", "python_tuned", peer(PeerSetup::Tuned));
    if (bfloat16Predictor || reducedPrecision)
      contend("Python tuned bf16", "python_tuned_bfloat16", peer(PeerSetup::TunedBfloat16));
  }
  std::fprintf(out, "forward, same input for all (1x3x1200x1600%s):\n  %-6s",
               sameSize ? "" : ", the slide is not 1600x1200: FluoCount's column is its own size", "round");
  for (const Contender& c : contenders) std::fprintf(out, " %18s", c.name.c_str());
  std::fprintf(out, "\n");
  for (int round = 1; round <= rounds; ++round) {
    std::fprintf(out, "  %-6d", round);
    for (Contender& c : contenders) {
      const std::optional<PeerRun> result = c.run();
      if (result) {
        c.seconds.push_back(result->median);
        if (round == 1 || c.key.rfind("python", 0) == 0)
          c.peakMegabytes = std::max(c.peakMegabytes, result->peakMegabytes);
      }
      std::fprintf(out, " %16s", result ? (QString::number(result->median, 'f', 3) + " s").toUtf8().constData() : "-");
    }
    std::fprintf(out, "\n");
  }
  std::fprintf(out, "  %-6s", "median");
  for (const Contender& c : contenders)
    std::fprintf(out, " %16s",
                 c.seconds.empty() ? "-" : (QString::number(medianOf(c.seconds), 'f', 3) + " s").toUtf8().constData());
  std::fprintf(out, "\n  %-6s", "peak");
  for (const Contender& c : contenders)
    std::fprintf(out, " %16s",
                 c.peakMegabytes > 0 ? (QString::number(c.peakMegabytes, 'f', 0) + " MB").toUtf8().constData() : "-");
  std::fprintf(out, "\n  over the compute floor (%.3f s):", floorSeconds);
  nlohmann::json forward = {{"input", "1x3x1200x1600"}};
  for (const Contender& c : contenders) {
    if (c.seconds.empty()) continue;
    std::fprintf(out, " %s %.2fx;", c.name.c_str(), medianOf(c.seconds) / floorSeconds);
    forward[c.key + "_seconds"] = c.seconds;
    forward[c.key + "_median"] = medianOf(c.seconds);
    forward[c.key + "_peak_mb"] = c.peakMegabytes;
    forward[c.key + "_over_floor"] = medianOf(c.seconds) / floorSeconds;
  }
  // Speed-ups: each FluoCount column against the peers of its precision, and bfloat16 also against float32.
  std::fprintf(out, "\n  speed-up (peer's time / FluoCount's):");
  auto medianNamed = [&](const std::string& key) {
    for (const Contender& c : contenders)
      if (c.key == key && !c.seconds.empty()) return medianOf(c.seconds);
    return 0.0;
  };
  for (const auto& [mine, theirs] :
       std::vector<std::pair<std::string, std::string>>{{"fluocount", "python_default"},
                                                        {"fluocount", "python_tuned"},
                                                        {"fluocount_bfloat16", "python_tuned_bfloat16"},
                                                        {"fluocount_bfloat16", "python_tuned"},
                                                        {"fluocount_int8", "python_tuned"},
                                                        {"fluocount_int8", "fluocount"}}) {
    const double a = medianNamed(mine), b = medianNamed(theirs);
    if (a <= 0 || b <= 0) continue;
    std::fprintf(out, " %s vs %s %.2fx;", mine.c_str(), theirs.c_str(), b / a);
    forward["speedup_" + mine + "_vs_" + theirs] = b / a;
  }
  std::fprintf(out, "\n\n");
  report["forward_same_input"] = forward;

  // What a count costs: the slide resampled so that its cells are the model's canonical diameter across.
  const double scale = info.canonicalDiameterPx / diameter;
  const Timing canonical = timeRuns(runs, [&] { heatmap = predictor.predict(rgb, diameter); });
  std::fprintf(out, "at the model's scale (cells of %.0f px drawn at %.0f px: the network sees about %dx%d):\n",
               diameter, info.canonicalDiameterPx, int(std::lround(rgb.cols * scale)),
               int(std::lround(rgb.rows * scale)));
  printTiming(out, "network forward (heatmap)", canonical);
  int count = 0;
  const Timing post = timeRuns(runs, [&] { count = detectObjects(heatmap, info.threshold, postprocess).count(); });
  printTiming(out, "post-processing", post);
  const std::vector<SweepImage> sweepImages{{"slide", heatmap, postprocess, std::nullopt}};
  const std::vector<double> thresholds = defaultSweepThresholds();
  const Timing sweep = timeRuns(runs, [&] { sweepThresholds(sweepImages, thresholds, {}); });
  // The baseline: the whole image post-processed at each threshold, the thresholds shared between the cores.
  std::vector<std::vector<cv::Rect>> wholeImageBoxes(thresholds.size());
  const Timing wholeImageSweep = timeRuns(runs, [&] {
    cv::parallel_for_(cv::Range(0, int(thresholds.size())), [&](const cv::Range& range) {
      for (int t = range.start; t < range.end; ++t)
        wholeImageBoxes[t] = boundingBoxesOf(detectObjects(heatmap, thresholds[t], postprocess));
    });
  });
  const bool sweepIdentical = objectBoxesAtThresholds(heatmap, thresholds, postprocess) == wholeImageBoxes;
  printTiming(out, "20-threshold sweep, whole image", wholeImageSweep);
  printTiming(out, "20-threshold sweep, by cluster", sweep);
  std::fprintf(out, "%-34s %.1fx faster, the same objects at every threshold: %s; 20 such slides: %.3f s\n", "",
               wholeImageSweep.median / sweep.median, sweepIdentical ? "yes" : "NO", 20 * sweep.median);
  std::fprintf(out, "%-34s %d cells at threshold %.3f\n", "count", count, info.threshold);
  std::fprintf(out, "%-34s %.0f MB\n", "peak resident memory", peakResidentMegabytes());
  report["canonical_scale"] = {
      {"forward_median", canonical.median},  {"postprocess_median", post.median},
      {"sweep20_median", sweep.median},      {"sweep20_whole_image_median", wholeImageSweep.median},
      {"sweep20_identical", sweepIdentical}, {"count", count}};

  if (!parser.isSet("no-folder")) {
    // Counting whole folders with the bundled model's defaults: decoding, the network, post-processing and the
    // per-object measurements, one image at a time against the pipeline.
    auto counterAt = [&](double cellDiameterPx) {
      CountSettings settings;
      settings.inference = inference;
      settings.cellDiameterPx = cellDiameterPx;
      return CellCounter::withModel(
          modelPath ? loadModel(*modelPath) : untrainedModel(Architecture::CResUnet, /*seed=*/0), settings);
    };
    std::fprintf(out, "\nfolders (images per second, %d alternating rounds):\n", rounds);
    nlohmann::json folders;
    if (const auto samples = bundledSamplesFolder()) {
      const std::vector<std::string> slides = collectImages({QString::fromStdString(*samples + "/images")});
      std::vector<std::string> paths;
      const int copies = static_cast<int>(numberOption(parser, "folder-copies", 1, 1000));
      for (int copy = 0; copy < copies; ++copy) paths.insert(paths.end(), slides.begin(), slides.end());
      const std::string what = "bundled samples x" + std::to_string(copies) + " (1600x1200)";
      folders["samples"] = benchFolder(out, what.c_str(), counterAt(0), paths, rounds);
      report["folder_curves"] = benchFolderCurves(out, counterAt(0), *samples, runs);
    }
    const QString nuclei = QStringLiteral(FLUOCOUNT_SHARED_DIR) + "/data/bbbc039/images";
    if (QFileInfo::exists(nuclei)) {
      std::vector<std::string> paths = collectImages({nuclei});
      paths.resize(std::min<std::size_t>(paths.size(), 100));
      const std::string what = "BBBC039, " + std::to_string(paths.size()) + " slides (696x520, 16-bit, 28 px)";
      folders["bbbc039"] = benchFolder(out, what.c_str(), counterAt(28), paths, rounds);
    }
    report["folders"] = folders;
  }

  if (!parser.isSet("no-training")) {
    const TrainingStepTimings steps = benchTrainingStep(out, imagePath.toStdString(), info, runs);
    const Timing& step = steps.float32;
    report["training_step_median"] = step.median;
    if (steps.bfloat16) report["training_step_bfloat16_median"] = steps.bfloat16->median;
    if (peers && step.median > 0) {
      for (const PeerSetup setup : {PeerSetup::Default, PeerSetup::Tuned}) {
        const auto peer = runPeer(script, {"train", threads, "4", "512"}, setup);
        if (!peer) continue;
        std::fprintf(out, "%s training step (batch 4 of 512x512, BCE, Adam): %.3f s, %.2fx FluoCount's time\n",
                     peerName(setup), peer->median, peer->median / step.median);
        report[setup == PeerSetup::Default ? "python_default_training_step" : "python_tuned_training_step"] =
            peer->median;
      }
      // Mixed bfloat16 against the peer under bfloat16 autocast, in both memory layouts (a careful user tries
      // both; the faster is the peer). Also against the tuned float32 peer: what switching precision buys.
      if (steps.bfloat16) {
        std::optional<PeerRun> fastest;
        for (const char* layout : {"contiguous", "channels_last"}) {
          const auto peer = runPeer(script, {"train", threads, "4", "512", layout}, PeerSetup::TunedBfloat16);
          if (!peer) continue;
          std::fprintf(out, "%s training step, %s: %.3f s, %.2fx FluoCount's bfloat16 step\n",
                       peerName(PeerSetup::TunedBfloat16), layout, peer->median, peer->median / steps.bfloat16->median);
          report[std::string("python_tuned_bfloat16_training_step_") + layout] = peer->median;
          if (!fastest || peer->median < fastest->median) fastest = peer;
        }
        if (fastest) report["python_tuned_bfloat16_training_step"] = fastest->median;
      }
    }
  }
  if (json) std::printf("%s\n", report.dump(2).c_str());
  return 0;
}

}  // namespace fluocount::cli
