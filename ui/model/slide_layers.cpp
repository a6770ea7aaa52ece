#include "ui/model/slide_layers.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace fluocount::ui {

namespace {

// A perceptually ordered dark-to-bright map (after matplotlib's inferno), interpolated between five stops.
QRgb colourFor(float value) {
  static const std::array<std::array<float, 3>, 5> stops = {
      {{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}}};
  const float position = std::clamp(value, 0.0f, 1.0f) * (stops.size() - 1);
  const int below = std::min(int(position), int(stops.size()) - 2);
  const float t = position - below;
  auto mix = [&](int channel) {
    return int(std::lround(stops[below][channel] * (1 - t) + stops[below + 1][channel] * t));
  };
  return qRgb(mix(0), mix(1), mix(2));
}

}  // namespace

QImage heatmapLayer(const cv::Mat& heatmap) {
  CV_Assert(heatmap.type() == CV_32F);
  std::array<QRgb, 256> lut;
  for (int i = 0; i < 256; ++i) lut[i] = colourFor(i / 255.0f);
  QImage image(heatmap.cols, heatmap.rows, QImage::Format_RGB32);
  for (int y = 0; y < heatmap.rows; ++y) {
    const float* in = heatmap.ptr<float>(y);
    auto* out = reinterpret_cast<QRgb*>(image.scanLine(y));
    for (int x = 0; x < heatmap.cols; ++x) out[x] = lut[std::clamp(int(in[x] * 255.0f + 0.5f), 0, 255)];
  }
  return image;
}

QImage outlineLayer(const cv::Mat& labels, QColor colour) {
  CV_Assert(labels.type() == CV_32S);
  QImage image(labels.cols, labels.rows, QImage::Format_ARGB32_Premultiplied);
  image.fill(Qt::transparent);
  const QRgb ink = colour.rgba();
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    const int* up = y > 0 ? labels.ptr<int>(y - 1) : nullptr;
    const int* down = y + 1 < labels.rows ? labels.ptr<int>(y + 1) : nullptr;
    auto* out = reinterpret_cast<QRgb*>(image.scanLine(y));
    for (int x = 0; x < labels.cols; ++x) {
      const int label = row[x];
      if (!label) continue;
      const bool edge = x == 0 || x + 1 == labels.cols || !up || !down || row[x - 1] != label || row[x + 1] != label ||
                        up[x] != label || down[x] != label;
      if (edge) out[x] = ink;
    }
  }
  return image;
}

QImage maskLayer(const cv::Mat& mask, QColor colour) {
  CV_Assert(mask.type() == CV_8U);
  QImage image(mask.cols, mask.rows, QImage::Format_ARGB32_Premultiplied);
  image.fill(Qt::transparent);
  const QRgb ink = colour.rgba();
  for (int y = 0; y < mask.rows; ++y) {
    const std::uint8_t* row = mask.ptr<std::uint8_t>(y);
    auto* out = reinterpret_cast<QRgb*>(image.scanLine(y));
    for (int x = 0; x < mask.cols; ++x)
      if (row[x]) out[x] = ink;
  }
  return image;
}

MatchMarkers matchMarkers(const Detection& predicted, const Detection& truth, double maxDistancePx) {
  const std::vector<cv::Point2d> predictedCentres = boxCentres(predicted), truthCentres = boxCentres(truth);
  const Matching matching = matchCentres(predictedCentres, truthCentres, maxDistancePx);
  std::vector<bool> predictedMatched(predictedCentres.size()), truthMatched(truthCentres.size());
  for (const auto& [p, t] : matching.pairs) predictedMatched[p] = truthMatched[t] = true;
  MatchMarkers markers;
  auto point = [](const cv::Point2d& c) { return QPointF(c.x + 0.5, c.y + 0.5); };
  for (std::size_t i = 0; i < predictedCentres.size(); ++i)
    (predictedMatched[i] ? markers.truePositives : markers.falsePositives).append(point(predictedCentres[i]));
  for (std::size_t i = 0; i < truthCentres.size(); ++i)
    if (!truthMatched[i]) markers.falseNegatives.append(point(truthCentres[i]));
  return markers;
}

}  // namespace fluocount::ui
