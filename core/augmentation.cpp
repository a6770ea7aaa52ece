#include "core/augmentation.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace fluocount {
namespace {

// Source coordinates for every crop pixel: rotation and flips about the crop's centre plus a smooth random field.
void geometricMaps(cv::Point2f centre, int size, const AugmentationSettings& s, std::mt19937_64& rng, cv::Mat& mapX,
                   cv::Mat& mapY) {
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const double angle = unit(rng) * s.maxRotationDegrees * CV_PI / 180.0;
  const bool flipX = s.flips && (rng() & 1), flipY = s.flips && (rng() & 1);
  const float c = static_cast<float>(std::cos(angle)), n = static_cast<float>(std::sin(angle));

  cv::Mat dx, dy;
  if (s.elasticAlphaPx > 0) {
    // Smoothed white noise, rescaled so that its typical displacement is elasticAlphaPx.
    dx.create(size, size, CV_32F);
    dy.create(size, size, CV_32F);
    cv::RNG noise(rng());
    noise.fill(dx, cv::RNG::UNIFORM, -1, 1);
    noise.fill(dy, cv::RNG::UNIFORM, -1, 1);
    for (cv::Mat* d : {&dx, &dy}) {
      cv::GaussianBlur(*d, *d, cv::Size(), s.elasticSigmaPx);
      cv::Scalar mean, deviation;
      cv::meanStdDev(*d, mean, deviation);
      *d *= s.elasticAlphaPx / std::max(1e-6, deviation[0]);
    }
  }
  float zoom = 1.0f;
  if (s.minZoom != 1.0 || s.maxZoom != 1.0)
    zoom = static_cast<float>(
        std::exp(std::uniform_real_distribution<double>(std::log(s.minZoom), std::log(s.maxZoom))(rng)));
  mapX.create(size, size, CV_32F);
  mapY.create(size, size, CV_32F);
  const float half = (size - 1) / 2.0f;
  for (int y = 0; y < size; ++y) {
    auto* mx = mapX.ptr<float>(y);
    auto* my = mapY.ptr<float>(y);
    const float* ex = dx.empty() ? nullptr : dx.ptr<float>(y);
    const float* ey = dy.empty() ? nullptr : dy.ptr<float>(y);
    for (int x = 0; x < size; ++x) {
      // Magnifying by `zoom` samples the source 1/zoom as far from the centre.
      float u = (x - half) / zoom, v = (y - half) / zoom;
      if (flipX) u = -u;
      if (flipY) v = -v;
      mx[x] = centre.x + c * u - n * v + (ex ? ex[x] : 0.f);
      my[x] = centre.y + n * u + c * v + (ey ? ey[x] : 0.f);
    }
  }
}

void photometric(cv::Mat& image, const AugmentationSettings& s, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::vector<cv::Mat> channels;
  cv::split(image, channels);
  if (std::uniform_real_distribution<double>(0, 1)(rng) < s.channelPermutationProbability)
    std::shuffle(channels.begin(), channels.end(), rng);
  const double contrast = 1.0 + unit(rng) * s.maxContrastChange;
  const double brightness = unit(rng) * s.maxBrightnessShift;
  const double mean = cv::mean(image)[0];
  for (cv::Mat& channel : channels) {
    const double gain = 1.0 + unit(rng) * s.maxChannelGainChange;
    const double shift = unit(rng) * s.maxChannelShift;
    // ((v - mean) * contrast + mean) * gain + brightness + shift
    channel.convertTo(channel, CV_32F, contrast * gain, (mean - mean * contrast) * gain + brightness + shift);
  }
  cv::merge(channels, image);
  const double sigma = std::uniform_real_distribution<double>(0, s.maxNoiseSigma)(rng);
  if (sigma > 0) {
    cv::Mat noise(image.size(), image.type());
    cv::RNG(rng()).fill(noise, cv::RNG::NORMAL, 0, sigma);
    image += noise;
  }
  cv::min(cv::max(image, 0.0), 1.0, image);
}

}  // namespace

TrainingCrop makeCrop(const cv::Mat& rgb, const cv::Mat& mask, const cv::Mat& weights, cv::Point origin, int size,
                      bool augment, const AugmentationSettings& settings, std::uint64_t seed) {
  CV_Assert(rgb.type() == CV_32FC3 && mask.type() == CV_32F && weights.type() == CV_32F);
  const cv::Mat& maskFloat = mask;
  TrainingCrop crop;
  if (!augment) {
    const cv::Rect rect(origin, cv::Size(size, size));
    if ((rect & cv::Rect(0, 0, rgb.cols, rgb.rows)) == rect) {
      crop.image = rgb(rect).clone();
      crop.mask = maskFloat(rect).clone();
      crop.weights = weights(rect).clone();
      return crop;
    }
  }
  std::mt19937_64 rng(seed);
  AugmentationSettings s = settings;
  if (!augment) s = AugmentationSettings{0, false, 0, 0, 0, 0, 0, 0, 0};
  cv::Mat mapX, mapY;
  geometricMaps(cv::Point2f(origin.x + (size - 1) / 2.0f, origin.y + (size - 1) / 2.0f), size, s, rng, mapX, mapY);
  cv::remap(rgb, crop.image, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  cv::remap(maskFloat, crop.mask, mapX, mapY, cv::INTER_NEAREST, cv::BORDER_REFLECT_101);
  cv::remap(weights, crop.weights, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  if (augment) photometric(crop.image, s, rng);
  return crop;
}

}  // namespace fluocount
