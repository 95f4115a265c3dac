// Error types: InputError is the user's to fix (exit 2); anything else is ours (exit 1).
#pragma once
#include <stdexcept>
#include <string>

namespace charrnn {

// Thrown at I/O and validation boundaries. The message is one line: the problem and the fix.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The one way input values are checked: throws InputError(message) unless `ok`. The message
// names the flag, its allowed range and the fix, e.g. "--top-k must be >= 0 (0 = off)".
inline void require_input(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

}  // namespace charrnn
