// Temperature grids for `charrnn compare`: a comma-separated list or a FROM:TO:STEP sweep.
#pragma once
#include <string>
#include <vector>

namespace charrnn {

// Most temperatures one comparison accepts: every one is a stream in the same batch.
inline constexpr size_t kMaxTemperatures = 1000;

// "0.2,0.5,1.0" -> {0.2, 0.5, 1.0}. Throws InputError naming `flag` on an empty item, a
// non-number, or a list validate_temperatures rejects.
std::vector<double> parse_temperature_list(const std::string& text,
                                           const std::string& flag = "--temperatures");

// "0.1:2.0:0.1" -> {0.1, 0.2, ..., 2.0}: FROM + i*STEP for every i whose value is <= TO plus
// a rounding allowance of 1e-9*STEP, each rounded to 12 decimals (0.3, not
// 0.30000000000000004). Throws InputError naming `flag` on bad syntax, STEP <= 0, TO < FROM,
// a negative FROM, or more than kMaxTemperatures points.
std::vector<double> parse_sweep(const std::string& text, const std::string& flag = "--sweep");

// Non-empty, every T finite and >= 0, strictly increasing, at most kMaxTemperatures.
// Throws InputError naming `flag` otherwise.
void validate_temperatures(const std::vector<double>& temps,
                           const std::string& flag = "--temperatures");

}  // namespace charrnn
