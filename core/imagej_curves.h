#pragma once
// The outlines ImageJ draws from what a .roi file stores, where the file holds less than the shape: a polygon or
// freehand ROI the user smoothed with Edit > Selection > Fit Spline (the file keeps the clicked points and a flag;
// ImageJ fits the spline again when it reads it), a rectangle with rounded corners (the file keeps the corner
// diameter), and the quadratic and cubic curves of a composite ROI's path. Reading only the stored points would
// give a region a different area and different cells than Fiji shows for the same file.
#include "core/regions.h"

namespace fluocount {

// The closed curve through `controlPoints` that ImageJ's Fit Spline draws: a natural cubic spline in x and in y,
// parameterised by the square root of the distance between consecutive points, continued periodically past both
// ends so the curve closes smoothly, sampled at max(100, perimeter / 2) points as ImageJ samples it (at most 5,000).
Ring closedSplineThrough(const Ring& controlPoints);

// A rectangle whose corners are quarter circles of cornerDiameter (clamped to the shorter side), as ImageJ's
// rounded rectangle ROI; the arcs as chords within 0.01 px of them.
Ring roundedRectangle(double x, double y, double width, double height, double cornerDiameter);

// The ellipse inscribed in the box, as ImageJ's oval ROI, as chords within 0.01 px of it.
Ring ellipseInBox(double x, double y, double width, double height);

// A composite path's curve segments as line segments: appends the points after `ring.back()`, the end included.
void appendQuadraticCurve(Ring& ring, cv::Point2d control, cv::Point2d end);
void appendCubicCurve(Ring& ring, cv::Point2d control1, cv::Point2d control2, cv::Point2d end);

}  // namespace fluocount
