#pragma once
// Training data: annotated folders, the train/validation split, images prepared at the model's cell size with
// their weight maps, the crop grid, and a background thread that assembles augmented batches ahead of the
// network.
#include "core/augmentation.h"
#include "core/postprocess.h"
#include "core/settings.h"
#include "core/weight_map.h"

#include <opencv2/core.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fluocount {

// One annotated folder in the FNC layout (images/ + masks/, same stems).
struct DatasetSource {
  std::string folder;
  double cellDiameterPx = 50;  // typical cell diameter in this folder's images
  int augmentationFactor = 4;  // docs/method.md: 10 for hand-segmented images, 4 for the others
  // Each image at its own cell diameter, measured on its annotation (ownCellDiameter), instead of cellDiameterPx
  // for all: for folders that mix magnifications or cell types (DeepFLaSH's cFOS nuclei of 9-15 px beside its
  // parvalbumin cells of 17-23 px; DSB2018's many experiments), so that every image reaches the network with its
  // cells at the canonical size.
  bool eachImageOwnDiameter = false;
};

struct TrainingExample {
  std::string imagePath, maskPath;
  double cellDiameterPx = 50;
  int augmentationFactor = 4;
  // Instance labels (labels/<stem>.png) where the dataset has them; empty otherwise. They only separate touching
  // cells in the training mask: masks/ stays the authority on what is a cell.
  std::string labelsPath = {};
};

struct DatasetScan {
  std::vector<TrainingExample> examples;
  std::vector<std::string> withoutMask;  // images skipped because they have no mask
  std::vector<std::string> notes;        // per folder trained at each image's own diameter: the range measured
};

// With eachImageOwnDiameter, every image of the source is given its own measured diameter; an image with fewer
// than minimumCellsForOwnDiameter annotated cells (an empty field, a slide with one cell) takes the median of the
// folder's measured images instead, or the source's cellDiameterPx when none could be measured.
DatasetScan scanDatasets(const std::vector<DatasetSource>& sources);

constexpr int minimumCellsForOwnDiameter = 3;

// The median equivalent-circle diameter of an annotated image's true cells (core/true_cells.h), and how many there
// are; 0 px when it has none.
struct OwnCellDiameter {
  double diameterPx = 0;
  int cells = 0;
};
OwnCellDiameter ownCellDiameter(const TrainingExample& example);

// Gives every example its own measured diameter (ownCellDiameter); those with fewer than minimumCellsForOwnDiameter
// cells take the median of the others, or fallbackPx when none could be measured. Returns what was measured, for the
// training log ("each image at its own cell diameter: 21.4 to 23.9 px over 3 image(s)").
std::string giveEachItsOwnDiameter(std::vector<TrainingExample>& examples, double fallbackPx);

struct Split {
  std::vector<TrainingExample> train, validation;
};

// Seeded random split of images (not crops), stratified by folder: round(validationFraction x n) of each folder's
// n images go to validation, never all of them, and at least one image overall when there are two.
Split splitExamples(std::vector<TrainingExample> examples, double validationFraction, std::uint64_t seed);

// An annotated image at the model's canonical cell diameter.
struct PreparedImage {
  std::string name;       // file name of the image
  double scale = 1;       // canonical / own cell diameter
  cv::Mat rgb;            // CV_32FC3 in [0,1]
  cv::Mat mask;           // CV_32F, 0/1
  cv::Mat weights;        // CV_32F, unnormalised weight map (>= 1)
  cv::Mat trueCells;      // CV_32S at the model's scale: the annotated cells (core/true_cells.h), for sweeps
  std::string truthNote;  // why instance labels that exist were set aside (empty otherwise)
};

// Background pixels where two touching instances meet: every labelled pixel with a differently labelled 8-neighbour
// (CV_8U, 255 = border), so touching cells end up two pixels apart. labels: CV_32S, 0 = background.
cv::Mat instanceBorders(const cv::Mat& labels);

// Loads, normalises, resamples and computes the weight map. The true cells follow core/true_cells.h (instance
// labels where they agree with the mask, else the mask's components). With separateTouching, the borders between
// touching labelled instances (instanceBorders, at the model's scale) are cut out of the training mask, so that
// the network learns to leave a gap between touching nuclei and the weight map weights that gap (docs/method.md
// section 3); binary masks merge them into one object. A mask whose size differs from its image is an ImageError
// naming both files.
PreparedImage prepareExample(const TrainingExample& example, double canonicalDiameterPx,
                             const NormalisationSettings& normalisation, const WeightMapSettings& weightMaps,
                             bool separateTouching = false);

// Origins of a grid of size x size crops with the given step, the last row and column flush with the border.
// An image smaller than a crop gets one crop at (0, 0), which the augmentation pads by reflection.
std::vector<cv::Point> cropGrid(cv::Size image, int size, int step);

struct CropSample {
  int image = 0;
  cv::Point origin;
  bool augment = true;
};

// A crop a person flagged as a hard negative or artifact, by image file name and top-left corner in the image's
// own pixels. Read from a text file of "name x y" lines.
struct ArtifactCrop {
  std::string imageName;
  cv::Point origin;
};
std::vector<ArtifactCrop> readArtifactList(const std::string& path);

// Hard negatives found rather than flagged: a crop centred on each object a model detected in a training image that
// no annotated cell matches (a false positive under docs/method.md section 7's matching, within matchDistancePx).
// `predicted` and `truth` are at the prepared image's scale; the crops are cropSize there, lie inside the image
// where it is larger than one, and are given as a person flags them (ArtifactCrop: the image's own pixels). False
// positives that fall in the same crop give it once.
std::vector<ArtifactCrop> cropsAroundFalseDetections(const PreparedImage& image, const Detection& predicted,
                                                     const Detection& truth, double matchDistancePx, int cropSize);

// Image file names, one per line; blank lines and '#' comments are skipped and a leading folder part is ignored
// ("bbbc039/images/IXMtest_A02_s1_w1.png" names IXMtest_A02_s1_w1.png). Used for held-out test splits and for
// selections of images to evaluate.
std::set<std::string> readImageNameList(const std::string& path);

// The examples whose image file name is not among `names`.
std::vector<TrainingExample> withoutImages(std::vector<TrainingExample> examples, const std::set<std::string>& names);

// Training samples: each grid crop of each image, augmentationFactor times; each artifact crop `oversampling`
// more times.
std::vector<CropSample> trainingSamples(const std::vector<PreparedImage>& images,
                                        const std::vector<int>& augmentationFactors, int cropSize, int step,
                                        const std::vector<ArtifactCrop>& artifacts, int oversampling);

// Validation samples: each grid crop once, without augmentation.
std::vector<CropSample> validationSamples(const std::vector<PreparedImage>& images, int cropSize, int step);

// Assembles batches of crops on a background thread, a few batches ahead. Crop k of the sequence is made with a
// seed derived from (seed, k), so the batches do not depend on thread timing and a resumed run sees the same ones.
class BatchProducer {
public:
  BatchProducer(const std::vector<PreparedImage>& images, std::vector<CropSample> samples, int batchSize, int cropSize,
                double weightNormaliser, const AugmentationSettings& augmentation, std::uint64_t seed,
                std::size_t firstBatch = 0, std::size_t queueDepth = 3);
  ~BatchProducer();
  BatchProducer(const BatchProducer&) = delete;
  BatchProducer& operator=(const BatchProducer&) = delete;

  std::size_t batchCount() const;
  // The next batch in order, or nothing at the end.
  std::optional<std::vector<TrainingCrop>> next();

private:
  void produce();
  const std::vector<PreparedImage>& images_;
  std::vector<CropSample> samples_;
  int batchSize_, cropSize_;
  double weightNormaliser_;
  AugmentationSettings augmentation_;
  std::uint64_t seed_;
  std::size_t nextBatch_, queueDepth_;
  std::deque<std::vector<TrainingCrop>> queue_;
  bool finished_ = false, stopping_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread worker_;
};

// A 64-bit mix of several numbers (SplitMix64), for per-sample seeds.
std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0);

}  // namespace fluocount
