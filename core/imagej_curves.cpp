#include "core/imagej_curves.h"

#include <algorithm>
#include <cmath>

namespace fluocount {
namespace {

// Second derivatives of the natural cubic spline through (t[i], v[i]): zero at both ends, the tridiagonal system
// of the interior nodes solved by forward elimination and back substitution.
std::vector<double> naturalSplineCurvatures(const std::vector<double>& t, const std::vector<double>& v) {
  const std::size_t n = t.size();
  std::vector<double> curvature(n, 0.0), upper(n, 0.0);
  for (std::size_t i = 1; i + 1 < n; ++i) {
    const double before = t[i] - t[i - 1], after = t[i + 1] - t[i];
    const double rightHandSide = 6.0 * ((v[i + 1] - v[i]) / after - (v[i] - v[i - 1]) / before);
    const double pivot = 2.0 * (before + after) - before * upper[i - 1];
    curvature[i] = (rightHandSide - before * curvature[i - 1]) / pivot;
    upper[i] = after / pivot;
  }
  for (std::size_t i = n - 1; i-- > 1;) curvature[i] -= upper[i] * curvature[i + 1];
  return curvature;
}

double evaluateSpline(const std::vector<double>& t, const std::vector<double>& v, const std::vector<double>& curvature,
                      double at) {
  const std::size_t right =
      std::clamp<std::size_t>(std::lower_bound(t.begin(), t.end(), at) - t.begin(), 1, t.size() - 1);
  const std::size_t left = right - 1;
  const double span = t[right] - t[left], fromLeft = at - t[left], toRight = t[right] - at;
  const double linear = fromLeft * v[right] + toRight * v[left];
  const double bend = (fromLeft * fromLeft - span * span) * fromLeft * curvature[right] +
                      (toRight * toRight - span * span) * toRight * curvature[left];
  return (linear + bend / 6.0) / span;
}

}  // namespace

Ring closedSplineThrough(const Ring& controlPoints) {
  const std::size_t n = controlPoints.size();
  if (n < 3) return controlPoints;
  // Node parameters: the curve closes, so the first point comes again after the last.
  Ring nodes(controlPoints);
  nodes.push_back(controlPoints.front());
  std::vector<double> position(nodes.size(), 0.0);
  double perimeter = 0;
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    const double length = std::hypot(nodes[i].x - nodes[i - 1].x, nodes[i].y - nodes[i - 1].y);
    perimeter += length;
    position[i] = position[i - 1] + std::max(std::sqrt(length), 0.001);  // repeated points must not stall t
  }
  const double period = position.back();
  // Periodic continuation: a few nodes of the curve's end before its start and of its start after its end, so that
  // the natural spline's straight ends fall outside the part that is drawn.
  const std::size_t extension = std::min<std::size_t>(7, nodes.size() - 1);
  std::vector<double> t, x, y;
  for (std::size_t i = 0; i < extension; ++i) {
    const std::size_t from = nodes.size() - 1 - extension + i;
    t.push_back(position[from] - period), x.push_back(nodes[from].x), y.push_back(nodes[from].y);
  }
  for (std::size_t i = 0; i < nodes.size(); ++i)
    t.push_back(position[i]), x.push_back(nodes[i].x), y.push_back(nodes[i].y);
  for (std::size_t i = 1; i <= extension; ++i)
    t.push_back(position[i] + period), x.push_back(nodes[i].x), y.push_back(nodes[i].y);
  const std::vector<double> curvatureX = naturalSplineCurvatures(t, x), curvatureY = naturalSplineCurvatures(t, y);
  // ImageJ's count, up to 5,000: a region's checks are quadratic in its vertices, and at 5,000 the chords of a
  // region 100,000 px round lie within about 0.1 px of the curve.
  const int samples = int(std::clamp(perimeter / 2.0, 100.0, 5000.0));
  Ring curve;
  curve.reserve(samples - 1);
  for (int i = 0; i + 1 < samples; ++i) {  // the last sample is the first again: a ring does not repeat it
    const double at = period * i / (samples - 1);
    curve.emplace_back(evaluateSpline(t, x, curvatureX, at), evaluateSpline(t, y, curvatureY, at));
  }
  return curve;
}

namespace {

// Segments for an arc of `angle` radians on `radius`: enough that no chord strays more than 0.01 px from the arc
// (so the area is ImageJ's to about 1e-5 and a centroid within a hundredth of a pixel of the line is all that can
// fall on the other side of it), at most 4,096.
int arcSegments(double radius, double angle) {
  const double maxSagitta = 0.01;
  if (!(radius > maxSagitta)) return 1;  // a NaN radius too: the ring's vertices are then refused as not finite
  const double segmentAngle = 2.0 * std::acos(1.0 - maxSagitta / radius);
  return int(std::clamp(std::ceil(angle / segmentAngle), 1.0, 4096.0));
}

}  // namespace

Ring roundedRectangle(double x, double y, double width, double height, double cornerDiameter) {
  const double radius = std::min({cornerDiameter, width, height}) / 2.0;
  if (radius <= 0) return {{x, y}, {x + width, y}, {x + width, y + height}, {x, y + height}};
  const cv::Point2d centres[] = {{x + width - radius, y + radius},
                                 {x + width - radius, y + height - radius},
                                 {x + radius, y + height - radius},
                                 {x + radius, y + radius}};
  const int stepsPerCorner = arcSegments(radius, M_PI / 2);
  Ring ring;
  for (int corner = 0; corner < 4; ++corner)
    for (int step = 0; step <= stepsPerCorner; ++step) {
      const double angle =
          (corner - 1 + double(step) / stepsPerCorner) * M_PI / 2;  // from -90 degrees, clockwise on screen
      ring.emplace_back(centres[corner].x + radius * std::cos(angle), centres[corner].y + radius * std::sin(angle));
    }
  return ring;
}

Ring ellipseInBox(double x, double y, double width, double height) {
  // Chords of equal parameter steps stray from an ellipse by at most what they would from a circle of its larger
  // semi-axis; at least 72 vertices, as a small oval drew before.
  const int vertices = std::max(72, arcSegments(std::max(width, height) / 2.0, 2.0 * M_PI));
  Ring ring;
  ring.reserve(vertices);
  for (int i = 0; i < vertices; ++i) {
    const double angle = 2 * M_PI * i / vertices;
    ring.emplace_back(x + width / 2 * (1 + std::cos(angle)), y + height / 2 * (1 + std::sin(angle)));
  }
  return ring;
}

namespace {
constexpr int kCurveSteps = 16;  // line segments per curve: well under a pixel from the curve at region scale
}

void appendQuadraticCurve(Ring& ring, cv::Point2d control, cv::Point2d end) {
  const cv::Point2d start = ring.empty() ? control : ring.back();
  for (int step = 1; step <= kCurveSteps; ++step) {
    const double s = double(step) / kCurveSteps, r = 1 - s;
    ring.push_back(r * r * start + 2 * r * s * control + s * s * end);
  }
}

void appendCubicCurve(Ring& ring, cv::Point2d control1, cv::Point2d control2, cv::Point2d end) {
  const cv::Point2d start = ring.empty() ? control1 : ring.back();
  for (int step = 1; step <= kCurveSteps; ++step) {
    const double s = double(step) / kCurveSteps, r = 1 - s;
    ring.push_back(r * r * r * start + 3 * r * r * s * control1 + 3 * r * s * s * control2 + s * s * s * end);
  }
}

}  // namespace fluocount
