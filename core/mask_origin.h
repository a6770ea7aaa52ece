#pragma once
// Where a mask came from, carried in the mask file itself. A mask FluoCount outlined from a count by hand (each
// mark grown into a cell on the network's heatmap: `fluocount-cli masks`, the app's Propose Cells from the Count by
// Hand) is the model's own outline until someone has looked at it: trained on or scored against unseen, it teaches
// the network its own mistakes and flatters its F1. Such a PNG carries a text chunk saying so, which every other
// reader ignores (the pixels are the same); the app shows the slide as "outlines to review" and writes the mask
// without the chunk once the user marks it reviewed, and `train` and `evaluate` name the masks still carrying it.
#include <string>

namespace fluocount {

enum class MaskOrigin {
  Drawn,              // by a person, or of unknown origin: every mask without FluoCount's chunk
  OutlinedFromMarks,  // outlined by FluoCount from a count by hand, not reviewed since
};

// The PNG `png` with the chunk that declares `origin` (OutlinedFromMarks: a tEXt chunk right after the header;
// Drawn: none, and any such chunk removed). Bytes that are not a PNG are returned unchanged.
std::string withMaskOrigin(const std::string& png, MaskOrigin origin);
// The origin PNG bytes declare: OutlinedFromMarks only for FluoCount's chunk, intact (its CRC checked), before the
// image data. Anything else, a TIFF or damaged bytes included, is Drawn.
MaskOrigin maskOriginOfPng(const std::string& bytes);
// The same for a file, reading only its chunks before the image data. A file that cannot be read is Drawn (its
// reader reports why).
MaskOrigin maskOriginOfFile(const std::string& path);

}  // namespace fluocount
