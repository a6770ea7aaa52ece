#pragma once
// The one way FluoCount includes all of LibTorch's C++ API (modules, optimizers, CUDA queries): in the translation
// units that build, train or run networks. Headers include less (core/torch_tensor_include.h, <torch/nn/module.h>
// through core/networks.h): <torch/torch.h> alone costs about 15 s of compile time per translation unit.
//
// Qt defines `slots` (and friends) as macros for moc, and LibTorch uses `slots` as an identifier; QT_NO_KEYWORDS is
// no fix because qcustomplot.h relies on the keywords. So the macro is saved, removed for LibTorch's headers and
// restored afterwards.
#pragma push_macro("slots")
#undef slots
#include <torch/torch.h>
#pragma pop_macro("slots")
