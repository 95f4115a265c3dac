// The playground page in a real browser: headless Chromium opens it, runs a comparison at
// 0.2 / 1.0 / 1.5 with a fixed seed, and the columns must hold `charrnn compare --json`'s
// samples. Saves a screenshot (playground.png in the build folder). Skips without chromium.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

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

// Text as an HTML serializer escapes it in element content.
std::string html_unescape(std::string s) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"},
                                 {"&gt;", ">"},
                                 {"&nbsp;", "\xc2\xa0"},
                                 {"&amp;", "&"}}) {
    for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) {
      s.replace(p, from.size(), to);
    }
  }
  return s;
}

// A string as compare --json writes it (invalid UTF-8 replaced).
std::string as_json(const std::string& bytes) {
  return json(bytes).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

TEST(ServeBrowser, PageColumnsEqualCompareJson) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium not installed: apt-get install chromium (scripts/setup.sh does) to "
                    "run the browser test";
  }
  TestServer s;
  TempDir tmp;
  const std::string url = "http://127.0.0.1:" + std::to_string(s.port()) +
                          "/?model=tiny&prime=ROMEO:&temps=0.2,1.0,1.5&seed=7&length=150&run=1";
  // Virtual time does not advance while a fetch is open, so the DOM is dumped after the stream.
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --no-first-run "
      "--user-data-dir=" +
      tmp / "profile" + " --virtual-time-budget=30000 --window-size=1280,900 ";
  const std::string dom = tmp / "dom.html";
  ASSERT_EQ(std::system(("timeout 120 " + chromium + flags + "--dump-dom '" + url + "' > " + dom +
                         " 2>" + tmp / "chromium.log")
                            .c_str()),
            0)
      << read_file(tmp / "chromium.log");
  const std::string html = read_file(dom);
  std::smatch m;
  const std::string hook_re = "<pre id=\"test-hook\" hidden=\"\">([^<]*)</pre>";
  ASSERT_TRUE(std::regex_search(html, m, std::regex(hook_re))) << html.substr(0, 2000);
  const json columns = json::parse(html_unescape(m[1].str()));
  const auto c =
      run_cli("-q compare --json --model " + models_dir() +
                  "/tiny --prime ROMEO: --temperatures 0.2,1.0,1.5 --seed 7 --length 150",
              tmp);
  ASSERT_EQ(c.status, 0) << c.err;
  const json cli = json::parse(c.out);
  ASSERT_EQ(columns.size(), 3u) << m[1].str();
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(columns[k]["temperature"], cli["temperatures"][k]["temperature"]);
    EXPECT_EQ(as_json(from_hex(columns[k]["hex"])),
              cli["temperatures"][k]["samples"][0]["text"].dump(-1, ' ', false,
                                                                json::error_handler_t::replace))
        << "column " << k;
  }
  // No byte of generated text became markup: every column is one text node in its <pre>.
  EXPECT_EQ(html.find("<script", html.find("id=\"columns\"")), html.rfind("<script"));
  // The screenshot the README shows (same page, same run).
  const std::string png = std::string(CHARRNN_BINARY_DIR) + "/playground.png";
  EXPECT_EQ(std::system(("timeout 120 " + chromium + flags + "--screenshot=" + png + " '" + url +
                         "' >/dev/null 2>&1")
                            .c_str()),
            0);
  EXPECT_TRUE(std::filesystem::exists(png));
}
