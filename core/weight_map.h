#pragma once
// Weight maps (docs/method.md section 3, the paper's Alg. 1): pixels between close cells weigh more in the loss, so the
// network learns to keep touching cells apart.
#include <opencv2/core.hpp>

namespace fluocount {

struct WeightMapSettings {
  double minObjectAreaPx = 100;     // cleaning: remove objects smaller than this
  double maxHoleAreaPx = 200;       // cleaning: fill holes smaller than this
  double minComponentAreaPx = 25;   // components smaller than this get no weight of their own
  double sigmaPx = 25;              // width of each cell's contribution exp(-d^2 / (2 sigma^2))
  int regionOfInterestPx = 100;     // cells plus the background within a square dilation of this size
  double cellFactor = 1.5;          // cell pixels are multiplied by this
  double windowSigmas = 5;          // each cell's distance transform is computed within this many sigmas of it
  double referenceDiameterPx = 50;  // the pixel sizes above are for cells of this diameter (FNC at 20x)

  // The same settings for cells of cellDiameterPx across (a model trained at another canonical diameter).
  WeightMapSettings scaledTo(double cellDiameterPx) const;
};

// The unnormalised weight map (CV_32F, >= 1) of a binary mask (CV_8U, non-zero = cell). A mask without cells gives
// 1 everywhere. Divide by a global maximum over the training data to normalise (docs/method.md section 3, step 5).
cv::Mat computeWeightMap(const cv::Mat& mask, const WeightMapSettings& settings = {});

// The same map with every component's distance transform over the whole image: O(K * H * W), for tests.
cv::Mat computeWeightMapDirect(const cv::Mat& mask, const WeightMapSettings& settings = {});

}  // namespace fluocount
