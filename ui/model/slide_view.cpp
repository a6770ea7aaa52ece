#include "ui/model/slide_view.h"

#include "ui/model/slide_analysis.h"

namespace fluocount::ui {

SlideView loadSlideView(const Slide& slide, const CellCounter* counter, DisplayRange range) {
  SlideView view;
  try {
    const RawImage raw = loadImage(slide.imagePath.toStdString());
    view.rgb = counter ? counter->normalisedImage(raw) : normaliseToRgb(raw.pixels, {});
    view.pixelSize = counter ? counter->pixelSizeOf(raw) : raw.pixelSize;
    view.rawChannels = raw.channels;
    view.channelNames = raw.channelNames;
    view.bitDepth = raw.bitDepth();
    view.intensity = intensityOf(view.rgb);
    std::tie(view.low, view.high) = range.automatic ? autoContrastRange(view.rgb) : std::pair(range.low, range.high);
    view.display = displayImage(view.rgb, view.low, view.high);
    if (showsAsComposite(raw)) {  // a stack's channels in their colours, not the network's gray input
      view.channels = raw.channels;
      view.views = defaultChannelViews(raw);
      view.display = compositeImage(view.channels, view.views);
    }
    if (slide.analysis) view.heatmap = heatmapLayer(slide.analysis->heatmap);
    view.size = view.rgb.size();
    try {
      if (slide.hasMask()) view.truth = truthFromMask(slide.maskPath, view.rgb.size(), slide.imagePath);
    } catch (const std::exception&) {
      // A bad mask (wrong size, unreadable) must not hide the slide: the mask editor reports it.
    }
  } catch (const std::exception& e) {
    view = SlideView();
    view.error = QString::fromUtf8(e.what());
  }
  return view;
}

DetectionOverlay detectionOverlay(int slide, const SlideAnalysis& analysis, double threshold, const cv::Mat& intensity,
                                  const std::optional<Detection>& truth, QColor outlineColour) {
  DetectionOverlay overlay;
  const Detection detection = detectObjects(analysis.heatmap, threshold, analysis.postprocess, intensity);
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
