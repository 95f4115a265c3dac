// Writes seed inputs for the fuzz targets into argv[1]/checkpoint, argv[1]/corpus and
// argv[1]/request:
// well-formed checkpoint bodies (without their CRC: fuzz_checkpoint appends it) and a few
// generated texts. Nothing third-party: every byte is made here.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "charrnn/store/checkpoint_format.h"
#include "charrnn/store/config_json.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// A checkpoint body for a 1-layer model with `hidden` units: real shapes, zero weights.
std::string checkpoint_body(int hidden, bool with_adam) {
  charrnn::ModelConfig m;
  m.layers = 1;
  m.hidden = hidden;
  charrnn::TrainConfig t;
  t.data = "corpus.txt";
  charrnn::Progress p;
  p.step = 3;
  p.lr_scale = 0.5;
  json header;
  header["model"] = charrnn::to_json(m);
  header["train"] = charrnn::to_json(t);
  header["progress"] = charrnn::progress_to_json(p);
  header["adam_steps"] = json::object();
  json tensors = json::array();
  std::string payload;
  auto add = [&](const std::string& name, const std::string& dtype, std::vector<int64_t> shape) {
    uint64_t n = charrnn::dtype_size(dtype);
    for (auto s : shape) n *= static_cast<uint64_t>(s);
    tensors.push_back({{"name", name}, {"dtype", dtype}, {"shape", shape}, {"bytes", n}});
    payload.append(n, '\0');
  };
  add("model.lstm.weight_ih_l0", "f32", {4 * hidden, 256});
  add("model.lstm.bias_ih_l0", "f32", {4 * hidden});
  add("model.head.weight", "f32", {256, hidden});
  if (with_adam) {
    add("adam.head.weight.exp_avg", "f32", {256, hidden});
    header["adam_steps"]["head.weight"] = 3;
  }
  add("state.h", "f32", {1, 2, hidden});
  add("rng.cpu", "u8", {16});
  add("misc.i64", "i64", {2});
  add("misc.f64", "f64", {});
  header["tensors"] = tensors;
  return charrnn::encode_checkpoint_prefix(header) + payload;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const fs::path out(argv[1]);
  fs::create_directories(out / "checkpoint");
  fs::create_directories(out / "corpus");
  write(out / "checkpoint" / "small", checkpoint_body(1, false));
  write(out / "checkpoint" / "adam", checkpoint_body(2, true));
  write(out / "checkpoint" / "header-only", checkpoint_body(1, false).substr(0, 20));
  write(out / "corpus" / "text", "\x02the quick brown fox jumps over the lazy dog\n");
  write(out / "corpus" / "binary", std::string("\x03\x00\xff\xfe\x80\n\r\t", 8));
  std::string lines;
  for (int i = 0; i < 64; ++i) lines += "line " + std::to_string(i) + "\n";
  write(out / "corpus" / "lines", lines);
  // charrnn serve's request bodies (the first byte picks generate or compare).
  fs::create_directories(out / "request");
  write(out / "request" / "generate",
        "g{\"model\": \"m\", \"prime\": \"ROMEO:\", \"temperature\": 0.8, \"length\": 200, "
        "\"top_k\": 5, \"top_p\": 0.9, \"seed\": 7, \"num_samples\": 2}");
  write(out / "request" / "compare",
        "c{\"model\": \"m\", \"temperatures\": [0, 0.5, 1.5], \"length\": 50, \"seed\": 1}");
  write(out / "request" / "sweep",
        "c{\"model\": \"m\", \"sweep\": \"0.1:2:0.1\", \"num_samples\": 3}");
  return 0;
}
