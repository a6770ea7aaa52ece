#pragma once
// A one-line progress bar on stderr when it is a terminal; otherwise nothing (the per-item lines suffice).
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
