#include "ui/model/slide_view.h"

#include "core/heatmap_file.h"
#include "ui/model/slide_analysis.h"

namespace fluocount::ui {

namespace {

std::pair<double, double> shownRange(const DisplayRange& range, const SlideView& view) {
  switch (range.mode) {
    case DisplayRange::Mode::Automatic: return autoContrastRange(view.seen);
    case DisplayRange::Mode::Manual:
      // A range set on an 8-bit slide means nothing on a 16-bit one (and the reverse): that slide is shown as counted.
      if (range.bitDepth == view.bitDepth) return {range.low, range.high};
      break;
    case DisplayRange::Mode::AsCounted: break;
  }
  return view.countedRange;
}

}  // namespace

SlideView loadSlideView(const Slide& slide, const CellCounter* counter, DisplayRange range) {
  SlideView view;
  try {
    const RawImage raw = loadImage(slide.imagePath.toStdString());
    // counter->normalisedImage(raw) in its steps, keeping the raw values for the display.
    view.seen = counter ? counter->seenChannels(raw) : rawRgb(raw.pixels);
    view.countedRange = counter ? counter->normalisationRange(view.seen) : normalisationRange(view.seen, {});
    view.rgb = normaliseRgb(view.seen, view.countedRange);
    view.pixelSize = counter ? counter->pixelSizeOf(raw) : raw.pixelSize;
    view.rawChannels = raw.channels;
    view.channelNames = raw.channelNames;
    view.bitDepth = raw.bitDepth();
    for (const std::string& note : counter ? counter->notesOn(raw) : raw.notes)
      view.notes << QString::fromStdString(note);
    view.intensity = intensityOf(view.rgb);
    std::tie(view.low, view.high) = shownRange(range, view);
    view.display = displayImage(view.seen, view.low, view.high);
    if (showsAsComposite(raw)) {  // a stack's channels in their colours, not the network's gray input
      view.channels = raw.channels;
      view.views = defaultChannelViews(raw);
      view.display = compositeImage(view.channels, view.views);
    }
    try {
      if (slide.analysis) view.heatmap = heatmapLayer(slide.analysis->heatmap->pixels());
    } catch (const HeatmapFileError& e) {
      view.heatmapError = QString::fromUtf8(e.what());
    }
    view.size = view.rgb.size();
    try {
      view.truth = annotatedCellsOf(slide.maskPath, slide.handCountPath, view.rgb.size(), slide.imagePath);
    } catch (const std::exception&) {
      // A bad mask (wrong size, unreadable) must not hide the slide: the mask editor reports it.
    }
    view.handMarks = handMarksOf(slide.handCountPath, view.rgb.size(), slide.imagePath);
  } catch (const std::exception& e) {
    view = SlideView();
    view.error = QString::fromUtf8(e.what());
  }
  return view;
}

DetectionOverlay detectionOverlay(int slide, const SlideAnalysis& analysis, double threshold, const cv::Mat& intensity,
                                  const std::optional<Detection>& truth, QColor outlineColour) {
  DetectionOverlay overlay;
  const Detection detection = detectObjects(analysis.heatmap->pixels(), threshold, analysis.postprocess, intensity);
  overlay.slide = slide;
  overlay.threshold = threshold;
  overlay.count = detection.count();
  overlay.labels = detection.labels;
  overlay.outlines = outlineLayer(detection.labels, outlineColour);
  for (const DetectedObject& o : detection.objects)
    overlay.centres.append(QPointF(o.centroid.x + 0.5, o.centroid.y + 0.5));
  if (truth) {
    overlay.hasTruth = true;
    overlay.markers = matchMarkers(detection, *truth, analysis.cellDiameterPx);
    overlay.matchCounts = {int(overlay.markers.truePositives.size()), int(overlay.markers.falsePositives.size()),
                           int(overlay.markers.falseNegatives.size())};
  }
  return overlay;
}

}  // namespace fluocount::ui
