// The key torch::optim::Adam files a parameter's state under: LibTorch 1.x uses a string of the
// TensorImpl address (formatted as c10::guts::to_string did: an ostream of the pointer), 2.x the
// address itself. Written without c10::guts, which 2.x no longer has. Used by the checkpoint
// (to save and restore the state) and by the fused Adam step (to find and create it).
#pragma once
#include <ATen/Tensor.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace charrnn {

template <typename Map>
typename Map::key_type optimizer_state_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream key;
    key << p.unsafeGetTensorImpl();
    return key.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace charrnn
