// Temperature lists and sweeps: parsing and validation, with one-line errors naming the flag.
#include "charrnn/compare/temperature_grid.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "charrnn/errors.h"

namespace charrnn {

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

// The whole of `item` as a number, or InputError naming the flag and what was expected.
double parse_number(const std::string& item, const std::string& flag, const char* expected) {
  const std::string s = trim(item);
  char* end = nullptr;
  errno = 0;
  const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) {
    throw InputError(flag + ": '" + item + "' is not a number (expected " + expected + ")");
  }
  return v;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string::npos ? pos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 1;
  }
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

void validate_temperatures(const std::vector<double>& temps, const std::string& flag) {
  if (temps.empty())
    throw InputError(flag + " is empty; give at least one temperature, e.g. 0.5,1.0");
  if (temps.size() > kMaxTemperatures) {
    throw InputError(flag + " has " + std::to_string(temps.size()) + " temperatures; at most " +
                     std::to_string(kMaxTemperatures) + " (use a coarser step)");
  }
  for (size_t i = 0; i < temps.size(); ++i) {
    const double t = temps[i];
    if (std::isnan(t) || std::isinf(t) || t < 0) {
      throw InputError(flag + ": temperature " + num(t) +
                       " is not allowed; use finite values >= 0 (0 = greedy)");
    }
    if (i > 0 && !(t > temps[i - 1])) {
      throw InputError(flag + " must be strictly increasing, but " + num(t) + " follows " +
                       num(temps[i - 1]) + "; sort the list and drop duplicates");
    }
  }
}

std::vector<double> parse_temperature_list(const std::string& text, const std::string& flag) {
  std::vector<double> temps;
  if (trim(text).empty()) validate_temperatures(temps, flag);  // the "is empty" error
  for (const std::string& item : split(text, ',')) {
    if (trim(item).empty()) {
      throw InputError(flag + " '" + text + "' has an empty item; write e.g. 0.2,0.5,1.0");
    }
    temps.push_back(parse_number(item, flag, "comma-separated temperatures like 0.2,0.5,1.0"));
  }
  validate_temperatures(temps, flag);
  return temps;
}

std::vector<double> parse_sweep(const std::string& text, const std::string& flag) {
  const auto parts = split(text, ':');
  if (parts.size() != 3) {
    throw InputError(flag + " '" + text + "' is not FROM:TO:STEP (e.g. 0.1:2.0:0.1)");
  }
  const char* what = "FROM:TO:STEP numbers like 0.1:2.0:0.1";
  const double from = parse_number(parts[0], flag, what);
  const double to = parse_number(parts[1], flag, what);
  const double step = parse_number(parts[2], flag, what);
  if (!std::isfinite(from) || !std::isfinite(to) || !std::isfinite(step)) {
    throw InputError(flag + " '" + text + "' must hold finite numbers (e.g. 0.1:2.0:0.1)");
  }
  if (!(step > 0)) throw InputError(flag + ": STEP must be > 0, got " + num(step));
  if (from < 0) throw InputError(flag + ": FROM must be >= 0 (0 = greedy), got " + num(from));
  if (to < from) {
    throw InputError(flag + ": TO (" + num(to) + ") is below FROM (" + num(from) +
                     "); write FROM:TO:STEP with FROM <= TO");
  }
  const double count = std::floor((to - from) / step + 1e-9) + 1;
  if (count > static_cast<double>(kMaxTemperatures)) {
    throw InputError(flag + " '" + text + "' gives " + num(count) + " temperatures; at most " +
                     std::to_string(kMaxTemperatures) + " (use a larger STEP)");
  }
  std::vector<double> temps;
  for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
    const double t = from + static_cast<double>(i) * step;
    temps.push_back(std::round(t * 1e12) / 1e12);
  }
  validate_temperatures(temps, flag);
  return temps;
}

}  // namespace charrnn
