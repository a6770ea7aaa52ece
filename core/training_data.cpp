#include "core/training_data.h"
#include "core/cell_size.h"
#include "core/metrics.h"
#include "core/slide_folder.h"
#include "core/true_cells.h"

#include "core/image_io.h"

#include <opencv2/imgproc.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <random>
#include <sstream>

namespace fluocount {
namespace fs = std::filesystem;

std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t z =
      a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^ c * 0x94D049BB133111EBull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

OwnCellDiameter ownCellDiameter(const TrainingExample& example) {
  const TrueCells truth = trueCellsOf(loadMask(example.maskPath, {}, example.imagePath), example.labelsPath);
  const CellSizeEstimate size = summariseDiameters(objectDiameters(truth.labels));
  return {size.medianDiameterPx, size.objects};
}

std::string giveEachItsOwnDiameter(std::vector<TrainingExample>& examples, double fallbackPx) {
  std::vector<double> measured;
  std::vector<TrainingExample*> tooFewCells;
  for (TrainingExample& example : examples) {
    const OwnCellDiameter own = ownCellDiameter(example);
    if (own.cells >= minimumCellsForOwnDiameter) {
      example.cellDiameterPx = own.diameterPx;
      measured.push_back(own.diameterPx);
    } else {
      tooFewCells.push_back(&example);
    }
  }
  if (!measured.empty()) fallbackPx = summariseDiameters(measured).medianDiameterPx;
  for (TrainingExample* example : tooFewCells) example->cellDiameterPx = fallbackPx;
  std::ostringstream note;
  note.imbue(std::locale::classic());
  note << std::fixed << std::setprecision(1) << "each image at its own cell diameter: ";
  if (!measured.empty())
    note << *std::min_element(measured.begin(), measured.end()) << " to "
         << *std::max_element(measured.begin(), measured.end()) << " px over " << measured.size() << " image(s)";
  if (!tooFewCells.empty())
    note << (measured.empty() ? "" : "; ") << tooFewCells.size() << " with fewer than " << minimumCellsForOwnDiameter
         << " cells at " << fallbackPx << " px";
  return note.str();
}

DatasetScan scanDatasets(const std::vector<DatasetSource>& sources) {
  DatasetScan scan;
  // An image in two of the folders given (one folder named twice) is trained on once: twice, it could land in
  // both the training and the validation split and flatter the validation.
  std::set<std::string> seen;
  int repeated = 0;
  for (const auto& source : sources) {
    std::vector<TrainingExample> examples;
    const SlideFolder dataset = scanAnnotatedDataset(source.folder);
    for (const std::string& note :
         {describeNewerTiffMasks(dataset.slides), describeMasksOfNoSlide(dataset.masksOfNoSlide),
          describeOutlinesToReview(outlinesToReview(dataset.slides), "trained on")})
      if (!note.empty()) scan.notes.push_back(source.folder + ": " + note);
    for (const SlideFiles& slide : dataset.slides) {
      if (!seen.insert(sameFileKey(slide.image)).second)
        ++repeated;
      else if (slide.mask.empty())
        scan.withoutMask.push_back(slide.image);
      else
        examples.push_back({slide.image, slide.mask, source.cellDiameterPx, source.augmentationFactor, slide.labels});
    }
    if (source.eachImageOwnDiameter && !examples.empty())
      scan.notes.push_back(source.folder + ": " + giveEachItsOwnDiameter(examples, source.cellDiameterPx));
    scan.examples.insert(scan.examples.end(), examples.begin(), examples.end());
  }
  if (repeated)
    scan.notes.push_back(std::to_string(repeated) +
                         " image(s) in more than one of the folders given, each used once (weight a folder with "
                         "folder:diameter:factor instead)");
  return scan;
}

Split splitExamples(std::vector<TrainingExample> examples, double validationFraction, std::uint64_t seed) {
  // Stratified by folder, so that every dataset is represented in proportion and a folder of one or two precious
  // slides keeps them for training (its share rounds to zero) instead of losing one to validation by chance.
  std::map<std::string, std::vector<TrainingExample>> byFolder;
  for (auto& e : examples) byFolder[fs::path(e.imagePath).parent_path().string()].push_back(std::move(e));
  std::mt19937_64 rng(seed);
  Split split;
  std::vector<TrainingExample>* largest = nullptr;
  for (auto& [folder, group] : byFolder) {
    std::shuffle(group.begin(), group.end(), rng);
    const std::size_t validation =
        std::min<std::size_t>(std::lround(group.size() * validationFraction), group.size() - 1);
    split.validation.insert(split.validation.end(), group.begin(), group.begin() + validation);
    split.train.insert(split.train.end(), group.begin() + validation, group.end());
    if (!largest || group.size() > largest->size()) largest = &group;
  }
  // At least one validation image when there are two or more images at all.
  if (split.validation.empty() && split.train.size() >= 2) {
    const TrainingExample moved = largest->front();
    split.validation.push_back(moved);
    split.train.erase(std::find_if(split.train.begin(), split.train.end(),
                                   [&](const TrainingExample& e) { return e.imagePath == moved.imagePath; }));
  }
  auto byPath = [](const TrainingExample& a, const TrainingExample& b) { return a.imagePath < b.imagePath; };
  std::sort(split.train.begin(), split.train.end(), byPath);
  std::sort(split.validation.begin(), split.validation.end(), byPath);
  return split;
}

cv::Mat instanceBorders(const cv::Mat& labels) {
  CV_Assert(labels.type() == CV_32S);
  cv::Mat borders = cv::Mat::zeros(labels.size(), CV_8U);
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (row[x] == 0) continue;
      bool touches = false;
      for (int dy = -1; dy <= 1 && !touches; ++dy) {
        if (y + dy < 0 || y + dy >= labels.rows) continue;
        const int* neighbours = labels.ptr<int>(y + dy);
        for (int dx = -1; dx <= 1; ++dx) {
          if (x + dx < 0 || x + dx >= labels.cols) continue;
          const int other = neighbours[x + dx];
          if (other != 0 && other != row[x]) {
            touches = true;
            break;
          }
        }
      }
      if (touches) borders.at<std::uint8_t>(y, x) = 255;
    }
  }
  return borders;
}

PreparedImage prepareExample(const TrainingExample& example, double canonicalDiameterPx,
                             const NormalisationSettings& normalisation, const WeightMapSettings& weightMaps,
                             bool separateTouching) {
  const RawImage raw = loadImage(example.imagePath);
  const cv::Mat mask = loadMask(example.maskPath, raw.pixels.size(), example.imagePath);
  TrueCells truth = trueCellsOf(mask, example.labelsPath);
  PreparedImage prepared;
  prepared.truthNote = truth.note;
  prepared.trueCells = truth.labels;
  cv::Mat labels;  // the instances whose touching borders are cut out of the training mask
  if (separateTouching && truth.source == TruthSource::InstanceLabels) labels = truth.labels;
  prepared.name = fs::path(example.imagePath).filename().string();
  prepared.scale = canonicalDiameterPx / example.cellDiameterPx;
  prepared.rgb = normaliseToRgb(raw.pixels, normalisation);
  cv::Mat binary = mask;  // mask is not used again, so cutting borders out of binary may share its pixels
  if (std::abs(prepared.scale - 1.0) > 1e-3) {
    const cv::Size size(std::max(1, int(std::lround(mask.cols * prepared.scale))),
                        std::max(1, int(std::lround(mask.rows * prepared.scale))));
    cv::resize(prepared.rgb, prepared.rgb, size, 0, 0, prepared.scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::resize(mask, binary, size, 0, 0, cv::INTER_NEAREST);
    cv::resize(prepared.trueCells, prepared.trueCells, size, 0, 0, cv::INTER_NEAREST);
    labels = separateTouching && truth.source == TruthSource::InstanceLabels ? prepared.trueCells : cv::Mat();
  }
  // At the model's scale, so that the gap is two pixels wide whatever the dataset's own cell size.
  if (!labels.empty()) binary.setTo(0, instanceBorders(labels));
  binary.convertTo(prepared.mask, CV_32F, 1.0 / 255.0);
  prepared.weights = computeWeightMap(binary, weightMaps);
  return prepared;
}

std::vector<cv::Point> cropGrid(cv::Size image, int size, int step) {
  auto starts = [&](int length) {
    std::vector<int> s;
    if (length <= size) return std::vector<int>{0};
    for (int p = 0; p + size < length; p += step) s.push_back(p);
    s.push_back(length - size);  // flush with the border
    return s;
  };
  std::vector<cv::Point> grid;
  for (int y : starts(image.height))
    for (int x : starts(image.width)) grid.emplace_back(x, y);
  return grid;
}

std::vector<ArtifactCrop> readArtifactList(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ImageError("cannot read the artifact list " + path);
  std::vector<ArtifactCrop> artifacts;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    ArtifactCrop crop;
    if (!(fields >> crop.imageName >> crop.origin.x >> crop.origin.y))
      throw ImageError(path + ":" + std::to_string(number) + ": expected 'image-name x y'");
    artifacts.push_back(crop);
  }
  return artifacts;
}

std::vector<ArtifactCrop> cropsAroundFalseDetections(const PreparedImage& image, const Detection& predicted,
                                                     const Detection& truth, double matchDistancePx, int cropSize) {
  const std::vector<cv::Point2d> centres = boxCentres(predicted);
  std::vector<bool> matched(centres.size(), false);
  for (const auto& [prediction, target] : matchCentres(centres, boxCentres(truth), matchDistancePx).pairs)
    matched[prediction] = true;
  const auto originAlong = [&](double centre, int side) {
    const double origin = std::clamp(centre - cropSize / 2.0, 0.0, std::max(0.0, double(side - cropSize)));
    return int(std::lround(origin / image.scale));  // in the image's own pixels
  };
  std::vector<ArtifactCrop> crops;
  for (std::size_t i = 0; i < centres.size(); ++i) {
    if (matched[i]) continue;
    const ArtifactCrop crop{image.name,
                            {originAlong(centres[i].x, image.rgb.cols), originAlong(centres[i].y, image.rgb.rows)}};
    const bool seen =
        std::any_of(crops.begin(), crops.end(), [&](const ArtifactCrop& c) { return c.origin == crop.origin; });
    if (!seen) crops.push_back(crop);
  }
  return crops;
}

std::set<std::string> readImageNameList(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ImageError("cannot read the image list " + path);
  std::set<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    names.insert(std::filesystem::path(line.substr(first, last - first + 1)).filename().string());
  }
  return names;
}

std::vector<TrainingExample> withoutImages(std::vector<TrainingExample> examples, const std::set<std::string>& names) {
  examples.erase(std::remove_if(examples.begin(), examples.end(),
                                [&](const TrainingExample& e) {
                                  return names.count(std::filesystem::path(e.imagePath).filename().string()) > 0;
                                }),
                 examples.end());
  return examples;
}

std::vector<CropSample> trainingSamples(const std::vector<PreparedImage>& images,
                                        const std::vector<int>& augmentationFactors, int cropSize, int step,
                                        const std::vector<ArtifactCrop>& artifacts, int oversampling) {
  std::vector<CropSample> samples;
  for (std::size_t i = 0; i < images.size(); ++i)
    for (const cv::Point& origin : cropGrid(images[i].rgb.size(), cropSize, step))
      for (int k = 0; k < augmentationFactors[i]; ++k) samples.push_back({int(i), origin, true});
  for (const ArtifactCrop& artifact : artifacts) {
    const auto image =
        std::find_if(images.begin(), images.end(), [&](const auto& p) { return p.name == artifact.imageName; });
    if (image == images.end()) continue;  // the flagged image is in the validation split
    const cv::Point origin(int(std::lround(artifact.origin.x * image->scale)),
                           int(std::lround(artifact.origin.y * image->scale)));
    for (int k = 0; k < oversampling; ++k) samples.push_back({int(image - images.begin()), origin, true});
  }
  return samples;
}

std::vector<CropSample> validationSamples(const std::vector<PreparedImage>& images, int cropSize, int step) {
  std::vector<CropSample> samples;
  for (std::size_t i = 0; i < images.size(); ++i)
    for (const cv::Point& origin : cropGrid(images[i].rgb.size(), cropSize, step))
      samples.push_back({int(i), origin, false});
  return samples;
}

BatchProducer::BatchProducer(const std::vector<PreparedImage>& images, std::vector<CropSample> samples, int batchSize,
                             int cropSize, double weightNormaliser, const AugmentationSettings& augmentation,
                             std::uint64_t seed, std::size_t firstBatch, std::size_t queueDepth)
    : images_(images), samples_(std::move(samples)), batchSize_(batchSize), cropSize_(cropSize),
      weightNormaliser_(weightNormaliser), augmentation_(augmentation), seed_(seed), nextBatch_(firstBatch),
      queueDepth_(queueDepth) {
  worker_ = std::thread([this] { produce(); });
}

BatchProducer::~BatchProducer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

std::size_t BatchProducer::batchCount() const { return (samples_.size() + batchSize_ - 1) / batchSize_; }

void BatchProducer::produce() {
  // Lowest CPU priority: on a machine whose cores all run the network, crops are made in the gaps rather than
  // preempting LibTorch's threads, which stall a whole parallel region when one of them is descheduled.
  setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  for (std::size_t batch = nextBatch_; batch < batchCount(); ++batch) {
    std::vector<TrainingCrop> crops;
    for (std::size_t i = batch * batchSize_; i < std::min(samples_.size(), (batch + 1) * batchSize_); ++i) {
      const CropSample& sample = samples_[i];
      const PreparedImage& image = images_[sample.image];
      TrainingCrop crop = makeCrop(image.rgb, image.mask, image.weights, sample.origin, cropSize_, sample.augment,
                                   augmentation_, mixSeed(seed_, i));
      crop.weights *= 1.0 / weightNormaliser_;
      crops.push_back(std::move(crop));
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return stopping_ || queue_.size() < queueDepth_; });
    if (stopping_) return;
    queue_.push_back(std::move(crops));
    changed_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

std::optional<std::vector<TrainingCrop>> BatchProducer::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty() || finished_; });
  if (queue_.empty()) return std::nullopt;
  auto batch = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return batch;
}

}  // namespace fluocount
