// The playground page in a real browser: headless Chromium opens it, runs a comparison at
// 0.2 / 1.0 / 1.5 with a fixed seed, and the columns must hold `charrnn compare --json`'s
// samples. Saves a screenshot (playground.png in the build folder; docs/playground.png is one).
// Skips without chromium. tests/serve/page_in_browser.py drives the browser.
#include <gtest/gtest.h>

#include <cstdlib>

#include "serve_fixture.h"

using namespace charrnn::testing;
using nlohmann::json;

namespace {

std::string find_chromium() {
  for (const char* p :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

// A string as compare --json writes it (invalid UTF-8 replaced).
std::string as_json(const std::string& bytes) {
  return json(bytes).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

TEST(ServeBrowser, PageColumnsEqualCompareJson) {
  const std::string chromium = find_chromium();
  if (chromium.empty() || std::system("python3 -c '' 2>/dev/null") != 0) {
    GTEST_SKIP() << "chromium or python3 not installed: apt-get install chromium python3 "
                    "(scripts/setup.sh does) to run the browser test";
  }
  TestServer s;
  TempDir tmp;
  const std::string url = "http://127.0.0.1:" + std::to_string(s.port()) +
                          "/?model=tiny&prime=ROMEO:&temps=0.2,1.0,1.5&seed=7&length=150&run=1";
  // The page fills #test-hook with each column's bytes (hex) once the stream is done; the
  // driver waits for it over the DevTools protocol, then takes the screenshot.
  const std::string png = std::string(CHARRNN_BINARY_DIR) + "/playground.png";
  const std::string driver = std::string(CHARRNN_SOURCE_DIR) + "/tests/serve/page_in_browser.py";
  ASSERT_EQ(
      std::system(("timeout 150 python3 " + driver + " " + chromium + " '" + url + "' test-hook " +
                   png + " 60 > " + tmp / "hook.json" + " 2> " + tmp / "driver.log")
                      .c_str()),
      0)
      << read_file(tmp / "driver.log");
  const json columns = json::parse(read_file(tmp / "hook.json"));
  const auto c =
      run_cli("-q compare --json --model " + models_dir() +
                  "/tiny --prime ROMEO: --temperatures 0.2,1.0,1.5 --seed 7 --length 150",
              tmp);
  ASSERT_EQ(c.status, 0) << c.err;
  const json cli = json::parse(c.out);
  ASSERT_EQ(columns.size(), 3u) << columns.dump();
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(columns[k]["temperature"], cli["temperatures"][k]["temperature"]);
    EXPECT_EQ(as_json(from_hex(columns[k]["hex"])),
              cli["temperatures"][k]["samples"][0]["text"].dump(-1, ' ', false,
                                                                json::error_handler_t::replace))
        << "column " << k;
  }
  EXPECT_TRUE(std::filesystem::exists(png));
}
