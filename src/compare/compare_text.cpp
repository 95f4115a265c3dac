// Text rendering of a comparison: safe bytes, side-by-side columns, aligned or Markdown table.
#include "charrnn/compare/compare_text.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "charrnn/compare/compare_metrics.h"

namespace charrnn {

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string temperature_label(double t) { return fmt("%g", t); }

// Terminal columns of display_bytes output: one per character (UTF-8 continuation bytes take
// none; wide East Asian characters are counted as one).
size_t columns_of(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// display_bytes as lines, each split into tokens (one per character or escaped byte) so
// wrapping never cuts an escape like "\x1b" or a UTF-8 character in two.
std::vector<std::vector<std::string>> display_lines(std::string_view bytes) {
  std::vector<std::vector<std::string>> lines(1);
  for (size_t i = 0; i < bytes.size();) {
    if (bytes[i] == '\n') {
      lines.emplace_back();
      ++i;
      continue;
    }
    const size_t n = std::max<size_t>(1, utf8_char_length(bytes.substr(i)));
    lines.back().push_back(display_bytes(bytes.substr(i, n), false));
    i += n;
  }
  return lines;
}

// Wraps tokens into rows of at most `width` columns (a token never straddles two rows).
std::vector<std::string> wrap(const std::vector<std::vector<std::string>>& lines, size_t width) {
  std::vector<std::string> rows;
  for (const auto& line : lines) {
    std::string row;
    for (const std::string& tok : line) {
      if (columns_of(row) + columns_of(tok) > width && !row.empty()) {
        rows.push_back(row);
        row.clear();
      }
      row += tok;
    }
    rows.push_back(row);
  }
  return rows;
}

std::string pad(const std::string& s, size_t width) {
  const size_t cols = columns_of(s);
  return cols >= width ? s : s + std::string(width - cols, ' ');
}

std::string header(const CompareResult& r, size_t t, size_t i) {
  return "T = " + temperature_label(r.temperatures[t].summary.temperature) + " (seed " +
         std::to_string(r.temperatures[t].samples[i].seed) + ")";
}

std::string render_block_columns(const CompareResult& r, size_t i, size_t col) {
  const size_t n = r.temperatures.size();
  std::vector<std::vector<std::string>> cols(n);
  size_t height = 0;
  for (size_t t = 0; t < n; ++t) {
    cols[t] = wrap(display_lines(r.temperatures[t].samples[i].text), col);
    height = std::max(height, cols[t].size());
  }
  std::string out;
  std::string rule;
  for (size_t t = 0; t < n; ++t) {
    out += (t ? " | " : "") + pad(header(r, t, i).substr(0, col), col);
    rule += (t ? "-+-" : "") + std::string(col, '-');
  }
  out.erase(out.find_last_not_of(' ') + 1);
  out += "\n" + rule + "\n";
  for (size_t row = 0; row < height; ++row) {
    std::string line;
    for (size_t t = 0; t < n; ++t) {
      line += (t ? " | " : "") + pad(row < cols[t].size() ? cols[t][row] : "", col);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string render_block_sequential(const CompareResult& r, size_t i) {
  std::string out;
  for (size_t t = 0; t < r.temperatures.size(); ++t) {
    out += "=== " + header(r, t, i) + " ===\n";
    out += display_bytes(r.temperatures[t].samples[i].text, true) + "\n\n";
  }
  return out;
}

std::vector<const MetricColumn*> shown_columns(const CompareResult& r) {
  std::vector<const MetricColumn*> cols;
  for (const MetricColumn& c : metric_columns()) {
    if (!c.needs_corpus || r.has_corpus) cols.push_back(&c);
  }
  return cols;
}

}  // namespace

std::string render_samples(const CompareResult& r, int width) {
  const size_t n = r.temperatures.size();
  if (n == 0) return "";
  const int sep = 3 * static_cast<int>(n - 1);
  const int col = std::min(100, (width - sep) / static_cast<int>(n));  // long lines tire
  const bool columns = col >= kMinSampleColumn;
  std::string out = "prime: \"" + display_bytes(r.config.prime, false) + "\", " +
                    std::to_string(r.config.length) + " bytes per sample\n\n";
  for (size_t i = 0; i < static_cast<size_t>(r.config.num_samples); ++i) {
    if (i > 0) out += "\n";
    out += columns ? render_block_columns(r, i, static_cast<size_t>(col))
                   : render_block_sequential(r, i);
  }
  return out;
}

std::string render_table(const CompareResult& r, bool markdown) {
  const auto cols = shown_columns(r);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{"T"};
  for (const MetricColumn* c : cols) head.push_back(c->header);
  rows.push_back(head);
  for (const TemperatureResult& t : r.temperatures) {
    std::vector<std::string> row{temperature_label(t.summary.temperature)};
    for (const MetricColumn* c : cols) {
      const auto v = c->get(t.summary);
      const std::string format = "%." + std::to_string(c->decimals) + "f";
      row.push_back(v ? fmt(format.c_str(), *v) : "-");
    }
    rows.push_back(row);
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : rows) {
    for (size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], row[k].size());
  }

  std::string out;
  if (markdown) {
    for (size_t r_i = 0; r_i < rows.size(); ++r_i) {
      out += "|";
      for (const std::string& cell : rows[r_i]) out += " " + cell + " |";
      out += "\n";
      if (r_i == 0) {
        out += "|";
        for (size_t k = 0; k < head.size(); ++k) out += "---:|";
        out += "\n";
      }
    }
  } else {
    for (const auto& row : rows) {
      std::string line;
      for (size_t k = 0; k < row.size(); ++k) {
        line += (k ? "  " : "") + std::string(width[k] - row[k].size(), ' ') + row[k];
      }
      out += line + "\n";
    }
  }
  // Legend: what each column is, in its unit, and over how many samples; wrapped at 100.
  std::vector<std::string> notes{"means over " + std::to_string(r.config.num_samples) + " sample" +
                                 (r.config.num_samples == 1 ? "" : "s") + " per temperature"};
  for (const MetricColumn* c : cols) {
    notes.push_back(std::string(c->header) + " = " + c->title +
                    (*c->unit ? std::string(" (") + c->unit + ")" : ""));
  }
  if (!r.has_corpus) notes.push_back("corpus metrics skipped: no training corpus");
  std::string line;
  out += markdown ? "\n" : "";
  for (size_t k = 0; k < notes.size(); ++k) {
    const std::string piece = notes[k] + (k + 1 < notes.size() ? ";" : ".");
    if (!line.empty() && line.size() + 1 + piece.size() > 100) {
      out += line + (markdown ? "  \n" : "\n");
      line.clear();
    }
    line += (line.empty() ? "" : " ") + piece;
  }
  out += line + "\n";
  return out;
}

}  // namespace charrnn
