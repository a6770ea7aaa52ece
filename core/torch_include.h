#pragma once
// The one way FluoCount includes LibTorch. Qt defines `slots` (and friends) as macros for moc, and LibTorch uses
// `slots` as an identifier; QT_NO_KEYWORDS is no fix because qcustomplot.h relies on the keywords. So the macro
// is saved, removed for LibTorch's headers and restored afterwards.
#pragma push_macro("slots")
#undef slots
#include <torch/torch.h>
#pragma pop_macro("slots")
