#pragma once
// Training crops with augmentation (docs/method.md section 2): one geometric warp (rotation, flips, elastic
// deformation) applied alike to image, mask and weight map, then photometric changes to the image alone.
#include <opencv2/core.hpp>

#include <cstdint>

namespace fluocount {

struct AugmentationSettings {
  double maxRotationDegrees = 180;
  bool flips = true;
  double elasticAlphaPx = 6;    // typical displacement of the elastic deformation
  double elasticSigmaPx = 16;   // smoothness of the displacement field
  double maxNoiseSigma = 0.03;  // Gaussian noise, sigma drawn from [0, max]
  double maxBrightnessShift = 0.08;
  double maxContrastChange = 0.2;  // contrast factor in [1 - x, 1 + x]
  double maxChannelShift = 0.04;   // small RGB shifts
  // Colour and tint, so that one model serves yellow, red, green and gray stains: per-channel gains and, with
  // this probability, a random permutation of the channels.
  double maxChannelGainChange = 0.3;
  double channelPermutationProbability = 0.5;
  // Scale: each crop is magnified by a factor drawn log-uniformly from [minZoom, maxZoom], so that the network
  // also sees cells somewhat smaller and larger than the canonical diameter and a cell diameter that is off by
  // a third costs little. 1:1 (the default) draws nothing, so older seeds give the same crops.
  double minZoom = 1.0, maxZoom = 1.0;
};

// One training sample: image CV_32FC3 in [0,1], mask CV_32F (0/1), weights CV_32F.
struct TrainingCrop {
  cv::Mat image, mask, weights;
};

// The size x size crop at `origin` of a prepared image (rgb CV_32FC3, mask CV_32F 0/1, weights CV_32F). With
// augment = false it is a plain copy; otherwise the warp samples the whole image around the crop (reflecting at
// the image border), so rotated corners show real tissue. The same seed gives the same crop.
TrainingCrop makeCrop(const cv::Mat& rgb, const cv::Mat& mask, const cv::Mat& weights, cv::Point origin, int size,
                      bool augment, const AugmentationSettings& settings, std::uint64_t seed);

}  // namespace fluocount
