#pragma once
// LibTorch's tensor type alone, at::Tensor (which torch::Tensor names): about 2 s of compile time, against 15 s for
// <torch/torch.h>, for headers that only pass tensors around. `slots` is saved and restored as in
// core/torch_include.h.
#pragma push_macro("slots")
#undef slots
#include <ATen/core/Tensor.h>
#pragma pop_macro("slots")
