#include "core/kneedle.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fluocount {
namespace {

std::vector<double> normalised(const std::vector<double>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = (v[i] - *lo) / (*hi - *lo);
  return out;
}

// Interior local extrema (plateaus included). kneed uses scipy's argrelextrema in 'clip' mode, which also lets the
// first point count as a maximum; on a curve with a flat end (an F1 curve that is 0 at the highest thresholds)
// that makes the last threshold the "knee". Like the paper, FluoCount only takes interior points.
template <typename Compare>
std::vector<bool> relativeExtrema(const std::vector<double>& v, Compare compare) {
  std::vector<bool> out(v.size(), false);
  for (std::size_t i = 1; i + 1 < v.size(); ++i) out[i] = compare(v[i], v[i - 1]) && compare(v[i], v[i + 1]);
  return out;
}

}  // namespace

std::optional<std::size_t> findKnee(const std::vector<double>& x, const std::vector<double>& y, CurveShape shape,
                                    CurveDirection direction, double sensitivity) {
  if (x.size() != y.size()) throw std::invalid_argument("findKnee: x and y differ in length");
  const std::size_t n = x.size();
  if (n < 3) return std::nullopt;
  const auto [ylo, yhi] = std::minmax_element(y.begin(), y.end());
  const auto [xlo, xhi] = std::minmax_element(x.begin(), x.end());
  if (*yhi == *ylo || *xhi == *xlo) return std::nullopt;

  const std::vector<double> xn = normalised(x);
  std::vector<double> yn = normalised(y);
  // Turn every shape into a concave increasing curve (kneed's transform_y).
  if (direction == CurveDirection::Decreasing) {
    if (shape == CurveShape::Concave)
      std::reverse(yn.begin(), yn.end());
    else
      for (double& v : yn) v = 1.0 - v;
  } else if (shape == CurveShape::Convex) {
    for (double& v : yn) v = 1.0 - v;
    std::reverse(yn.begin(), yn.end());
  }
  std::vector<double> difference(n);
  for (std::size_t i = 0; i < n; ++i) difference[i] = yn[i] - xn[i];

  const auto maxima = relativeExtrema(difference, [](double a, double b) { return a >= b; });
  const auto minima = relativeExtrema(difference, [](double a, double b) { return a <= b; });
  const auto firstMaximum = std::find(maxima.begin(), maxima.end(), true);
  if (firstMaximum == maxima.end()) return std::nullopt;
  const double meanStep = std::abs(xn.back() - xn.front()) / double(n - 1);

  double threshold = 0;
  std::size_t thresholdIndex = 0;
  for (std::size_t i = static_cast<std::size_t>(firstMaximum - maxima.begin()); i + 1 < n; ++i) {
    if (maxima[i]) {
      threshold = difference[i] - sensitivity * meanStep;
      thresholdIndex = i;
    }
    if (minima[i]) threshold = 0.0;
    if (difference[i + 1] < threshold) {
      const bool mirrored = (shape == CurveShape::Concave) == (direction == CurveDirection::Decreasing);
      return mirrored ? n - 1 - thresholdIndex : thresholdIndex;
    }
  }
  return std::nullopt;
}

}  // namespace fluocount
