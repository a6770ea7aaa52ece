#pragma once
// A one-line progress bar on stderr when it is a terminal; in logs (batch jobs, clusters) a plain line at each
// tenth of the work, so a long job shows its rate without filling the log.
#include <chrono>
#include <string>

namespace fluocount::cli {

class ProgressBar {
public:
  ProgressBar(std::string label, int total);
  void advance(const std::string& item);
  void finish();

private:
  std::string label_;
  int total_;
  int done_ = 0;
  bool interactive_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace fluocount::cli
