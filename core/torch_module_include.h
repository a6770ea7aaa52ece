#pragma once
// LibTorch's module base class and the Adam optimizer FluoCount trains with (about 10 s of compile time, against
// 15 s for <torch/torch.h>), for core/networks.h, core/checkpoint.h and their users. `slots` is saved and restored
// as in core/torch_include.h.
#pragma push_macro("slots")
#undef slots
#include <torch/nn/module.h>
#include <torch/optim/adam.h>
#pragma pop_macro("slots")
