// The report folder of `charrnn compare --report DIR`.
#include "charrnn/compare/compare_report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "charrnn/compare/compare_export.h"
#include "charrnn/compare/compare_metrics.h"
#include "charrnn/compare/compare_text.h"
#include "charrnn/errors.h"
#include "charrnn/store/run_dir.h"
#include "charrnn/util/plot.h"

namespace charrnn {

namespace {

const MetricColumn& column(const std::string& key) {
  for (const MetricColumn& c : metric_columns()) {
    if (key == c.key) return c;
  }
  throw std::logic_error("no metric column " + key);
}

// One chart: these metrics' means against T, plus each sample as a dot when there is one metric.
struct Chart {
  std::string stem;
  std::string title;
  std::string ylabel;
  std::vector<std::string> keys;
  bool needs_corpus;
};

std::vector<Chart> charts() {
  return {
      {"log_likelihood",
       "Log-likelihood of the sample under the model at T=1",
       "nats/byte (higher = more model-like)",
       {"log_likelihood"},
       false},
      {"entropy", "Entropy of the distribution sampled from", "nats", {"entropy"}, false},
      {"distinct_n",
       "Word diversity: distinct n-grams / n-grams",
       "share",
       {"distinct_2", "distinct_3", "distinct_4"},
       false},
      {"longest_repeat",
       "Longest substring repeated within a sample",
       "bytes",
       {"longest_repeat"},
       false},
      {"in_corpus_words", "Words spelled as in the corpus", "share", {"in_corpus_words"}, true},
      {"longest_copy",
       "Longest substring copied verbatim from the corpus",
       "bytes",
       {"longest_copy"},
       true},
      {"window_share",
       "20-byte windows found verbatim in the corpus",
       "share",
       {"window_share"},
       true},
  };
}

PlotSpec chart_spec(const CompareResult& r, const Chart& chart, const std::string& dir) {
  PlotSpec spec;
  spec.output = dir + "/" + chart.stem + ".png";
  spec.title = chart.title;
  spec.xlabel = "temperature";
  spec.ylabel = chart.ylabel;
  for (const std::string& key : chart.keys) {
    const MetricColumn& col = column(key);
    PlotSeries mean{
        std::string(col.title) + (r.config.num_samples > 1 ? " (mean)" : ""), {}, false};
    for (const TemperatureResult& t : r.temperatures) {
      mean.points.emplace_back(t.summary.temperature, col.get(t.summary));
    }
    spec.series.push_back(std::move(mean));
  }
  if (chart.keys.size() == 1 && r.config.num_samples > 1) {
    const MetricColumn& col = column(chart.keys[0]);
    PlotSeries dots{"each sample", {}, true};
    for (const TemperatureResult& t : r.temperatures) {
      for (const SampleResult& s : t.samples) {
        const double temp = t.summary.temperature;
        dots.points.emplace_back(temp, col.get(summarize_one(temp, s, r.has_corpus)));
      }
    }
    spec.series.push_back(std::move(dots));
  }
  return spec;
}

// A fence longer than any run of backticks in the text, so a sample can never close it.
std::string fence_for(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string markdown(const CompareResult& r, const ReportSource& source,
                     const std::vector<std::string>& plots) {
  const CompareConfig& c = r.config;
  std::string md = "# charrnn compare\n\n";
  md += "- model: `" + source.model + "`\n";
  md += "- corpus: " +
        (source.data.empty() ? std::string("none (corpus metrics skipped)")
                             : "`" + source.data + "`") +
        "\n";
  md += "- prime: `" + display_bytes(c.prime, false) + "`\n";
  md += "- " + std::to_string(c.length) + " bytes per sample, " + std::to_string(c.num_samples) +
        " sample(s) per temperature, seeds " + std::to_string(c.seed) + ".." +
        std::to_string(c.seed + static_cast<uint64_t>(c.num_samples) - 1) + "\n";
  if (c.top_k > 0 || c.top_p < 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "- top-k %d, top-p %g\n", c.top_k, c.top_p);
    md += buf;
  }
  if (c.weights != WeightFormat::fp32)
    md += std::string("- weights rounded to ") + weight_format_name(c.weights) + "\n";
  const std::string weights_flag = c.weights == WeightFormat::fp32
                                       ? ""
                                       : std::string(" --weights ") + weight_format_name(c.weights);
  md += "\nReproduce a sample: `charrnn generate --model MODEL --prime PRIME --length " +
        std::to_string(c.length) + " --seed SEED -t T" + weights_flag + "`.\n\n## Metrics\n\n";
  md += render_table(r, true);
  if (!plots.empty()) {
    md += "\n## Plots\n\n";
    for (const std::string& p : plots) md += "![" + p + "](" + p + ")\n\n";
  }
  md += "\n## Samples\n";
  for (const TemperatureResult& t : r.temperatures) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "\n### T = %g\n", t.summary.temperature);
    md += buf;
    for (const SampleResult& s : t.samples) {
      const std::string text = display_bytes(s.text, true);
      const std::string fence = fence_for(text);
      md += "\nseed " + std::to_string(s.seed) + ":\n\n" + fence + "text\n" + text + "\n" + fence +
            "\n";
    }
  }
  return md;
}

}  // namespace

nlohmann::json report_json(const CompareResult& result, const ReportSource& source) {
  nlohmann::json j = to_json(result);
  j["model"] = source.model;
  j["data"] = source.data.empty() ? nlohmann::json(nullptr) : nlohmann::json(source.data);
  return j;
}

ReportOutcome write_report(const CompareResult& r, const ReportSource& source,
                           const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir)) {
    throw InputError("cannot create report folder '" + dir + "'" + (ec ? ": " + ec.message() : "") +
                     " (choose another --report)");
  }
  ReportOutcome out;
  std::vector<std::string> plots;
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) {
    out.warning =
        "gnuplot not found on PATH: report written without plots "
        "(install gnuplot-nox to get them)";
  } else {
    for (const Chart& chart : charts()) {
      if (chart.needs_corpus && !r.has_corpus) continue;
      const PlotSpec spec = chart_spec(r, chart, dir);
      try {
        draw_plot(spec, *gnuplot);
        plots.push_back(chart.stem + ".png");
      } catch (const std::runtime_error& e) {
        if (!out.warning) out.warning = std::string(e.what()) + "; other files still written";
      }
    }
  }
  write_file_atomic(dir + "/report.md", markdown(r, source, plots));
  write_file_atomic(dir + "/metrics.json", dump_json(report_json(r, source), 2) + "\n");
  write_file_atomic(dir + "/metrics.csv", to_csv(r));
  out.files = {dir + "/report.md", dir + "/metrics.json", dir + "/metrics.csv"};
  for (const std::string& p : plots) out.files.push_back(dir + "/" + p);
  return out;
}

}  // namespace charrnn
