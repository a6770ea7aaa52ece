#include "ui/model/hand_count_masks.h"

#include "core/cells_of_marks.h"
#include "core/hand_counts.h"
#include "core/mask_edit.h"
#include "ui/model/slide_heatmap.h"

namespace fluocount::ui {

HandCountOutlinePlan handCountsToOutline(const Project& project) {
  HandCountOutlinePlan plan;
  for (int i = 0; i < project.slideCount(); ++i) {
    const Slide& slide = project.slide(i);
    if (slide.handCountPath.isEmpty() || !slide.nameClash.isEmpty()) continue;
    // The file decides, not the slide's record: a mask saved from Fiji a moment ago is a mask.
    if (slide.hasMask() || !project.maskFileHolding(i).isEmpty()) {
      ++plan.keepTheirMask;
    } else if (!slide.analysis || slide.status != SlideStatus::Counted || project.imageChangedSinceCounted(i)) {
      plan.notCounted << slide.name;
    } else {
      plan.slides.push_back(
          {i, slide.name, slide.imagePath, slide.handCountPath, project.maskPathFor(i), slide.analysis});
    }
  }
  return plan;
}

void writeOutlinedMask(OutlinedHandCount& outlined) {
  try {
    saveMask(outlined.maskPath.toStdString(), outlined.cells > 0, /*allowOverwrite=*/false,
             MaskOrigin::OutlinedFromMarks);
    outlined.written = true;
  } catch (const std::exception& e) {
    outlined.error = QString::fromUtf8(e.what());
  }
}

OutlinedHandCount outlineHandCount(const HandCountToOutline& slide, bool writeMask) {
  OutlinedHandCount outlined;
  outlined.index = slide.index;
  outlined.name = slide.name;
  outlined.maskPath = slide.maskPath;
  try {
    const SlideAnalysis& analysis = *slide.analysis;
    const HandCount count =
        loadHandCount(slide.handCountPath.toStdString(), analysis.size, slide.imagePath.toStdString());
    const MarkedCells cells = cellsOfMarksOnHeatmap(analysis.heatmap->pixels(), count.marks, analysis.cellDiameterPx);
    outlined.cells = cells.labels;
    outlined.marks = int(count.marks.size());
    outlined.fromDetections = cells.fromDetections;
    outlined.splitDetections = cells.splitDetections;
    outlined.drawnAsDiscs = cells.drawnAsDiscs;
  } catch (const std::exception& e) {
    outlined.error = QString::fromUtf8(e.what());
    return outlined;
  }
  if (writeMask) writeOutlinedMask(outlined);
  return outlined;
}

}  // namespace fluocount::ui
