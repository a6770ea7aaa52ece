#pragma once
// Edit > Outline Every Count by Hand: the app's form of 'fluocount-cli masks'. A lab that counted its slides by hand
// in Fiji or QuPath has marks, not outlines; retraining needs outlines. Each counted slide with a count by hand and
// no mask gets one: every mark's cell outlined on the slide's own heatmap by core/cells_of_marks, exactly what the
// CLI writes for that heatmap. A mask that exists is never replaced. No widgets.
#include "ui/model/project.h"

#include <QString>
#include <QStringList>

#include <opencv2/core.hpp>

#include <memory>
#include <vector>

namespace fluocount::ui {

// One slide whose count by hand becomes its mask, with what the work off the GUI thread needs of it.
struct HandCountToOutline {
  int index = -1;
  QString name, imagePath, handCountPath, maskPath;
  std::shared_ptr<const SlideAnalysis> analysis;
};

// The slides the action would outline, and the ones it leaves out, by why.
struct HandCountOutlinePlan {
  std::vector<HandCountToOutline> slides;
  // A count by hand and no mask, but no heatmap of the slide's file to outline the cells on (not counted yet, or
  // saved over since it was counted).
  QStringList notCounted;
  int keepTheirMask = 0;  // a count by hand and a mask already: the mask stays
};

HandCountOutlinePlan handCountsToOutline(const Project& project);

struct OutlinedHandCount {
  int index = -1;
  QString name, maskPath;
  cv::Mat cells;  // CV_32S, one label per mark that got pixels (empty after an error)
  int marks = 0, fromDetections = 0, splitDetections = 0, drawnAsDiscs = 0;
  bool written = false;  // saved at maskPath
  QString error;         // the count by hand or the heatmap could not be read, or the mask not written
};

// The slide's marks outlined on its heatmap; with writeMask, saved as its mask (a file that appeared meanwhile is
// kept, and is the error). Never throws: what failed is in `error`.
OutlinedHandCount outlineHandCount(const HandCountToOutline& slide, bool writeMask);

// Writes an outlined slide's cells as its mask (the slide on screen, whose cells were not written off the GUI thread,
// when it was left meanwhile); records an error as outlineHandCount does.
void writeOutlinedMask(OutlinedHandCount& outlined);

}  // namespace fluocount::ui
