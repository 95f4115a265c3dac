// Report folder, gnuplot plots, and loss curves. Plot tests skip where gnuplot is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "charrnn/compare/compare_report.h"
#include "charrnn/errors.h"
#include "charrnn/util/loss_plot.h"
#include "charrnn/util/plot.h"
#include "test_util.h"

using namespace charrnn;
using charrnn::testing::read_file;
using charrnn::testing::TempDir;
using charrnn::testing::write_file;

namespace {

// A hand-made comparison: 3 temperatures x 2 samples, with corpus metrics.
CompareResult made_up_result() {
  CompareResult r;
  r.config.temperatures = {0.5, 1.0, 1.5};
  r.config.num_samples = 2;
  r.config.prime = "Q";
  r.has_corpus = true;
  for (double t : r.config.temperatures) {
    TemperatureResult tr;
    for (int i = 0; i < 2; ++i) {
      SampleResult s;
      s.seed = 7 + static_cast<uint64_t>(i);
      s.text = "the text ``` with a fence\n";
      s.log_likelihood = -t - 0.1 * i;
      s.entropy = t;
      s.metrics.distinct_2 = 0.5 + 0.1 * t;
      s.metrics.in_corpus_words = 1 - 0.2 * t;
      s.metrics.longest_copy.length = static_cast<size_t>(30 / t);
      s.metrics.window_share = 0.5 / t;
      tr.samples.push_back(s);
    }
    tr.summary = summarize(t, tr.samples, true);
    r.temperatures.push_back(tr);
  }
  return r;
}

// Sets PATH for the scope (to hide gnuplot), restoring it after.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value)
      : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

bool is_png(const std::string& path) { return read_file(path).rfind("\x89PNG\r\n\x1a\n", 0) == 0; }

}  // namespace

TEST(Plot, DrawsAPngWithGnuplot) {
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) GTEST_SKIP() << "gnuplot not installed";
  TempDir dir;
  PlotSpec spec;
  spec.output = dir / "it's a plot.png";  // a quote in the path survives the script
  spec.title = "title with 'quotes' and _underscores_";
  spec.xlabel = "x";
  spec.ylabel = "y";
  spec.series.push_back({"line", {{0, 1.0}, {1, std::nullopt}, {2, 3.0}}, false});
  spec.series.push_back({"dots", {{0.5, 2.0}, {1.5, 2.5}}, true});
  draw_plot(spec, *gnuplot);
  EXPECT_TRUE(is_png(spec.output));
  EXPECT_TRUE(std::filesystem::exists(dir / "it's a plot.gp"));
  EXPECT_NE(read_file(dir / "it's a plot.gp").find("1 ?"), std::string::npos);  // the gap
}

TEST(Plot, GnuplotErrorsBecomeOneLine) {
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) GTEST_SKIP() << "gnuplot not installed";
  TempDir dir;
  PlotSpec spec;
  spec.output = dir / "x.png";
  std::filesystem::create_directories(dir / "x.png/keep");  // a folder where the PNG should go
  try {
    draw_plot(spec, *gnuplot);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find("gnuplot failed"), std::string::npos) << what;
  }
}

TEST(Report, WritesMarkdownDataAndPlots) {
  if (!find_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  TempDir dir;
  const std::string out = dir / "report";
  const ReportOutcome rep = write_report(made_up_result(), {"m.ckpt", "corpus.txt"}, out);
  EXPECT_FALSE(rep.warning.has_value()) << *rep.warning;
  for (const char* f : {"report.md", "metrics.json", "metrics.csv", "log_likelihood.png",
                        "entropy.png", "distinct_n.png", "longest_repeat.png",
                        "in_corpus_words.png", "longest_copy.png", "window_share.png"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
  EXPECT_TRUE(is_png(out + "/entropy.png"));
  EXPECT_EQ(rep.files.size(), 10u);
  const std::string md = read_file(out + "/report.md");
  EXPECT_NE(md.find("![entropy.png](entropy.png)"), std::string::npos);
  EXPECT_NE(md.find("| T | loglik |"), std::string::npos);
  EXPECT_NE(md.find("````text\nthe text ``` with a fence"), std::string::npos);  // longer fence
  const auto j = nlohmann::json::parse(read_file(out + "/metrics.json"));
  EXPECT_EQ(j["model"], "m.ckpt");
  EXPECT_EQ(j["temperatures"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["temperatures"][1]["summary"]["log_likelihood"].get<double>(), -1.05);
  const std::string csv = read_file(out + "/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
}

TEST(Report, WithoutGnuplotWarnsOnceAndStillWritesTheData) {
  TempDir dir;
  const std::string out = dir / "report";
  ReportOutcome rep;
  {
    ScopedPath hide(dir.path());  // a PATH without gnuplot
    rep = write_report(made_up_result(), {"m.ckpt", ""}, out);
  }
  ASSERT_TRUE(rep.warning.has_value());
  EXPECT_NE(rep.warning->find("gnuplot"), std::string::npos);
  EXPECT_EQ(rep.files.size(), 3u);
  for (const char* f : {"report.md", "metrics.json", "metrics.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
  EXPECT_FALSE(std::filesystem::exists(out + "/entropy.png"));
  EXPECT_EQ(read_file(out + "/report.md").find("## Plots"), std::string::npos);
}

TEST(LossPlot, ReadsCurvesSkippingNullsAndTornLines) {
  TempDir dir;
  write_file(dir / "metrics.jsonl",
             "{\"step\":0,\"train_loss\":null,\"val_loss\":5.5}\n"
             "{\"step\":100,\"train_loss\":3.0}\n"
             "{\"step\":200,\"train_loss\":2.5,\"val_loss\":2.7}\n"
             "{\"step\":300,\"train_lo");
  const LossCurves c = read_loss_curves(dir / "metrics.jsonl");
  EXPECT_EQ(c.train, (std::vector<std::pair<int64_t, double>>{{100, 3.0}, {200, 2.5}}));
  EXPECT_EQ(c.val, (std::vector<std::pair<int64_t, double>>{{0, 5.5}, {200, 2.7}}));
  write_file(dir / "empty.jsonl", "");
  EXPECT_THROW(read_loss_curves(dir / "empty.jsonl"), InputError);
  EXPECT_THROW(read_loss_curves(dir / "none.jsonl"), InputError);
  if (!find_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  plot_loss(c, "run", dir / "loss.png");
  EXPECT_TRUE(is_png(dir / "loss.png"));
}

TEST(LossPlot, SeveralRunsValidationAgainstTime) {
  TempDir dir;
  write_file(dir / "a.jsonl",
             "{\"step\":0,\"train_loss\":null,\"val_loss\":5.5,\"elapsed\":0}\n"
             "{\"step\":100,\"train_loss\":3.0,\"elapsed\":4.5}\n"
             "{\"step\":200,\"train_loss\":2.5,\"val_loss\":2.7,\"elapsed\":9.25}\n");
  write_file(dir / "old.jsonl", "{\"step\":0,\"train_loss\":null,\"val_loss\":5.5}\n");
  const LossCurves a = read_loss_curves(dir / "a.jsonl");
  EXPECT_EQ(a.val_elapsed, (std::vector<double>{0, 9.25}));
  EXPECT_EQ(a.train_elapsed, (std::vector<double>{4.5, 9.25}));
  const LossCurves old = read_loss_curves(dir / "old.jsonl");
  ASSERT_EQ(old.val_elapsed.size(), 1u);
  EXPECT_TRUE(std::isnan(old.val_elapsed[0]));
  if (!find_gnuplot()) GTEST_SKIP() << "gnuplot not installed";
  plot_val_losses({{"a", a}, {"b", a}}, dir / "val.png", LossAxis::kTime);
  EXPECT_TRUE(is_png(dir / "val.png"));
  // Both curves are in the script, at their times.
  const std::string gp = read_file(dir / "val.gp");
  EXPECT_NE(gp.find("9.25"), std::string::npos) << gp;
  EXPECT_NE(gp.find("seconds of training"), std::string::npos);
  // A run from before metrics carried the time cannot be drawn against it, but by step it can.
  EXPECT_THROW(plot_val_losses({{"a", a}, {"old", old}}, dir / "x.png", LossAxis::kTime),
               InputError);
  plot_val_losses({{"a", a}, {"old", old}}, dir / "y.png", LossAxis::kStep);
  EXPECT_TRUE(is_png(dir / "y.png"));
}
