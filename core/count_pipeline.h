#pragma once
// Counting a folder as a pipeline: while the network works on one image, the next is decoded and normalised and
// the previous one is post-processed (and handed to the caller), each stage on its own thread. The counts are those
// of CellCounter::count, image by image: the stages are countRaw's own (prepareCount, computeHeatmap, finishCount),
// and only the network stage touches the network, one image at a time.
#include "core/counter.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fluocount {

// One image's result: its count, or why it could not be counted (an unreadable file, a failed check).
struct CountOutcome {
  std::size_t index = 0;  // in the list of paths
  std::string path;
  std::optional<ImageCount> count;
  std::string error;  // when there is no count
};

enum class Overlap {
  Automatic,  // overlap where it pays: the counter leaves cores idle (CellCounter::leavesCoresIdle)
  Always,
  Never,  // each image goes through all three stages before the next is read
};

struct PipelineSettings {
  // Measured on 2 cores with the network's threads on both, overlapping costs 2-4 %: a reading or post-processing
  // thread that takes a core from the network stalls each of its parallel steps, which wait for their slowest
  // thread. With a GPU, or cores to spare, it pays.
  Overlap overlap = Overlap::Automatic;
  // The reader waits while the images read and not yet handed over hold this many pixels or more, so that a
  // folder of huge images is counted one at a time rather than five at once (an RGB float copy is 12 bytes a
  // pixel, and the heatmap, labels and raw channels add about as much again).
  std::int64_t maxPixelsInFlight = 20'000'000;
  // A run's second pass (SecondPass in core/counter.h) over images whose estimate found too few cells: with
  // automatic diameters, each is counted at this diameter (CellCounter::count's othersMedianPx).
  std::optional<double> othersMedianPx;
};

// Whether countInOrder overlaps the stages for this counter under these settings.
bool overlapsStages(const CellCounter& counter, const PipelineSettings& settings);

// Counts every path and calls `deliver` once per image, in the order of `paths`, on one thread (the caller's when
// not overlapping, else the post-processing stage's): the caller's own per-image work there (writing files,
// sweeps) overlaps the network too. An exception from `deliver` stops the run and is rethrown here. When `cancel`
// becomes true, images already past the network are still delivered, the others are not; returns the number
// delivered.
std::size_t countInOrder(const CellCounter& counter, const std::vector<std::string>& paths,
                         const std::function<void(CountOutcome&&)>& deliver, const PipelineSettings& settings = {},
                         const std::atomic<bool>* cancel = nullptr);

}  // namespace fluocount
