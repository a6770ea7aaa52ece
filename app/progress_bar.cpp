#include "app/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace fluocount::cli {

ProgressBar::ProgressBar(std::string label, int total)
    : label_(std::move(label)), total_(total), interactive_(::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::advance(const std::string& item) {
  ++done_;
  if (total_ <= 0) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double remaining = elapsed / done_ * (total_ - done_);
  if (!interactive_) {
    if (total_ >= 20 && done_ % (total_ / 10) == 0 && done_ < total_)
      std::fprintf(stderr, "%s %d/%d  %.1f s elapsed  ETA %.0f s  %s\n", label_.c_str(), done_, total_, elapsed,
                   remaining, item.c_str());
    return;
  }
  constexpr int width = 30;
  const int filled = width * done_ / total_;
  std::fprintf(stderr, "\r%s [%s%s] %d/%d  ETA %.0f s  %-40.40s", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), done_, total_, remaining, item.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (interactive_) std::fputs("\n", stderr);
}

}  // namespace fluocount::cli
