#pragma once
// The Kneedle algorithm (Satopaa et al. 2011), offline, as the `kneed` package implements it (the first knee), except
// that only interior points can be the knee (see kneedle.cpp).
#include <cstddef>
#include <optional>
#include <vector>

namespace fluocount {

enum class CurveShape { Concave, Convex };
enum class CurveDirection { Increasing, Decreasing };

// Index of the knee of y(x) (x increasing), or nothing when the curve has none (flat, too short, no drop).
std::optional<std::size_t> findKnee(const std::vector<double>& x, const std::vector<double>& y, CurveShape shape,
                                    CurveDirection direction, double sensitivity = 1.0);

}  // namespace fluocount
