// Helpers shared by the tests: temporary folders, files, and running the CLI.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace charrnn::testing {

// A fresh folder under /tmp, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "charrnn-test-XXXXXX").string();
    const char* made = ::mkdtemp(tmpl.data());
    // Fail loudly, naming the folder: a null path would crash the test instead.
    if (made == nullptr) {
      throw std::runtime_error("cannot create a temporary folder " + tmpl + ": " +
                               std::strerror(errno) + " (set TMPDIR to a writable folder)");
    }
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A play in a made-up English, `n` bytes long, the same bytes on every machine and every run:
// speaker names in capitals, verse lines of words drawn from a small vocabulary by a fixed
// generator, punctuation, blank lines between speeches. Structured enough that a small model's
// loss falls well below uniform within a few hundred steps (tests of training rely on that), and
// written by the tests themselves, so the suite needs nothing outside the repository.
inline std::string play_text(size_t n) {
  static const char* const speakers[] = {"ROMEO",      "JULIET", "FIRST CITIZEN", "MENENIUS",
                                         "KING HENRY", "QUEEN",  "NURSE",         "GLOUCESTER"};
  static const char* const words[] = {
      "the", "and",   "my",   "lord",  "of",    "to",    "a",     "is",     "that",  "in",
      "you", "not",   "with", "his",   "be",    "your",  "for",   "this",   "have",  "will",
      "me",  "him",   "what", "so",    "shall", "good",  "king",  "love",   "thou",  "thy",
      "sir", "come",  "now",  "let",   "our",   "night", "death", "heaven", "sweet", "fair",
      "man", "blood", "hand", "speak", "upon",  "than",  "more",  "there",  "well",  "honour"};
  constexpr size_t kWords = sizeof(words) / sizeof(words[0]);
  uint64_t s = 0x9E3779B97F4A7C15ull;  // splitmix64: exactly specified, unlike std distributions
  auto next = [&s](uint64_t bound) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<size_t>((z ^ (z >> 31)) % bound);
  };
  std::string text;
  size_t prev = 0;
  while (text.size() < n) {
    text += speakers[next(8)];
    text += ":\n";
    for (size_t line = 0, lines = 1 + next(4); line < lines; ++line) {
      for (size_t w = 0, count = 4 + next(6); w < count; ++w) {
        // Each word mostly follows from the one before (a fixed bigram walk), so there is
        // something to learn beyond letter frequencies.
        prev = next(4) == 0 ? next(kWords) : (prev * 7 + 3) % kWords;
        std::string word = words[prev];
        if (w == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
        text += (w ? " " : "") + word;
      }
      static const char* const ends[] = {",", ".", ";", "!", "?", ""};
      text += ends[next(6)];
      text += "\n";
    }
    text += "\n";
  }
  text.resize(n);
  return text;
}

// The tiny run's flags (tests/tiny_run.flags, also read by scripts/kill_test.sh) as one line:
// the model, batch and schedule every end-to-end training test uses.
inline std::string tiny_run_flags() {
  std::ifstream in(CHARRNN_TINY_RUN_FLAGS);
  if (!in) throw std::runtime_error(std::string("cannot read ") + CHARRNN_TINY_RUN_FLAGS);
  std::string flags, line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    flags += (flags.empty() ? "" : " ") + line;
  }
  return flags;
}

// Every regular file in the folder, name → bytes (to prove a refused command changed nothing).
inline std::map<std::string, std::string> folder_files(const std::string& folder) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(folder)) {
    if (e.is_regular_file()) files[e.path().filename().string()] = read_file(e.path().string());
  }
  return files;
}

// No "*.tmp.*" file is left in the folder (what an interrupted atomic write would leave).
inline void expect_no_temporaries(const std::string& folder) {
  for (const auto& e : std::filesystem::directory_iterator(folder)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

// A child's exit status, or 128 + the signal that ended it.
inline int wait_for(pid_t pid) {
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs the charrnn binary with `args` (shell syntax), capturing stdout and stderr.
inline RunResult run_cli(const std::string& args, const TempDir& dir) {
  const std::string out = dir / ".stdout", err = dir / ".stderr";
  const std::string cmd = std::string(CHARRNN_BIN) + " " + args + " >" + out + " 2>" + err;
  const int raw = std::system(cmd.c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// A bad input: exit status 2, exactly one line on stderr naming the problem (`needle`), nothing
// on stdout, and no crash or stack trace.
inline void expect_clean_error(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err.rfind("charrnn: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos);
  EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos);  // no c10 stack trace
}

inline void expect_clean_error(const RunResult& r, const std::string& needle,
                               const std::string& what) {
  SCOPED_TRACE(what);
  expect_clean_error(r, needle);
}

// `s` single-quoted for the shell.
inline std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Starts `sh -c "exec LINE"` without waiting, where LINE may use $BIN (the charrnn binary)
// and start with VAR=value assignments; the pid is charrnn's own.
inline pid_t spawn_sh(const std::string& line, const std::string& out, const std::string& err) {
  const std::string cmd =
      "BIN=" + std::string(CHARRNN_BIN) + "; exec " + line + " >" + out + " 2>" + err;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

inline pid_t spawn_cli(const std::string& args, const std::string& out, const std::string& err) {
  return spawn_sh("$BIN " + args, out, err);
}

// Whether `pid` has exited; reaps it and stores its status if so.
inline bool exited(pid_t pid, int& status) {
  int raw = 0;
  if (::waitpid(pid, &raw, WNOHANG) != pid) return false;
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return true;
}

// Polls until `pred` holds or `seconds` pass.
template <typename Pred>
inline bool wait_until(Pred pred, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace charrnn::testing
