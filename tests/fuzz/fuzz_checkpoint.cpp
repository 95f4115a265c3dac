// libFuzzer target: the checkpoint parser (torch-free layer of load_checkpoint).
// Every input must either parse into a consistent table or throw InputError; anything else
// (another exception, a sanitizer report, a leak) is a bug. The input is parsed twice: as the
// whole file, and as the file's body with a correct CRC-32 appended, so that mutations reach
// the header and tensor table behind the checksum.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "charrnn/errors.h"
#include "charrnn/store/checkpoint_format.h"

namespace {

void check(const char* data, size_t size) {
  try {
    const auto p = charrnn::parse_checkpoint(data, size);
    // The table tiles the payload exactly: offsets ascend, nothing overlaps or runs past it.
    uint64_t end = 0;
    for (const auto& t : p.tensors) {
      if (t.offset < end || t.offset + t.bytes > size - 4 ||
          t.bytes % charrnn::dtype_size(t.dtype) != 0) {
        std::abort();
      }
      end = t.offset + t.bytes;
    }
    if (!p.tensors.empty() && end != size - 4) std::abort();
    if (!(p.progress.lr_scale > 0 && p.progress.lr_scale <= 1)) std::abort();
  } catch (const charrnn::InputError&) {
    // a clean rejection
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(reinterpret_cast<const char*>(data), size);
  std::vector<char> fixed(data, data + size);
  const uint32_t crc = charrnn::crc32_update(0, fixed.data(), fixed.size());
  const auto* c = reinterpret_cast<const char*>(&crc);
  fixed.insert(fixed.end(), c, c + sizeof crc);
  check(fixed.data(), fixed.size());
  return 0;
}
