#include "launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>

#include "charrnn/errors.h"

namespace charrnn::cli {
namespace {

std::vector<std::string> g_command_line;
volatile sig_atomic_t g_forward_signal = 0;

void remember_signal(int signo) { g_forward_signal = signo; }

// A TCP port free on 127.0.0.1 now (the kernel's pick); rank 0's store binds it moments later.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Worker {
  pid_t pid = -1;
  int err_fd = -1;      // read end of its stderr pipe; -1 once closed
  std::string partial;  // the start of a line not yet ended
  int status = -1;      // exit code or 128 + signal, once it exited
};

// Starts rank `rank` of `nproc`: this program with `args`, its stderr into a pipe.
Worker spawn(const std::vector<std::string>& args, int rank, int nproc, int port) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  Worker w;
  w.pid = ::fork();
  if (w.pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (w.pid == 0) {
    // Its own process group: a terminal's Ctrl-C reaches the launcher only, which passes it on
    // once (a second SIGINT would make the worker stop at once instead of checkpointing).
    ::setpgid(0, 0);
    // A launcher that dies (even by SIGKILL) stops its workers the graceful way.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string r = std::to_string(rank), n = std::to_string(nproc);
    ::setenv("RANK", r.c_str(), 1);
    ::setenv("LOCAL_RANK", r.c_str(), 1);
    ::setenv("WORLD_SIZE", n.c_str(), 1);
    ::setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
    ::setenv("MASTER_ADDR", "127.0.0.1", 1);
    ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "charrnn: error: cannot start a worker: %s\n", std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  w.err_fd = fds[0];
  return w;
}

// Prints the worker's complete lines, prefixed; a line some rank already printed is skipped.
void forward_lines(Worker& w, int rank, const std::string& chunk, std::set<std::string>& seen,
                   bool flush_partial) {
  w.partial += chunk;
  size_t start = 0, nl;
  auto emit = [&](const std::string& line) {
    // Timestamps differ between ranks: compare the text after "[HH:MM:SS] ".
    const std::string key =
        line.size() > 11 && line[0] == '[' && line[9] == ']' ? line.substr(11) : line;
    if (!seen.insert(key).second) return;
    std::fprintf(stderr, "[rank %d] %s\n", rank, line.c_str());
  };
  while ((nl = w.partial.find('\n', start)) != std::string::npos) {
    emit(w.partial.substr(start, nl - start));
    start = nl + 1;
  }
  w.partial.erase(0, start);
  if (flush_partial && !w.partial.empty()) {
    emit(w.partial);
    w.partial.clear();
  }
}

int decode(int raw) { return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw); }

}  // namespace

void set_command_line(int argc, char** argv) { g_command_line.assign(argv, argv + argc); }
const std::vector<std::string>& command_line() { return g_command_line; }

int run_local_workers(const std::vector<std::string>& args, int nproc, double grace_s) {
  int port = 0;
  if (const char* p = std::getenv("MASTER_PORT"); p != nullptr && *p != '\0') {
    port = std::atoi(p);
    require_input(port > 0 && port < 65536, "MASTER_PORT must be a port number in [1, 65535]");
  } else {
    port = free_port();
  }
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);

  std::vector<Worker> workers;
  for (int r = 0; r < nproc; ++r) workers.push_back(spawn(args, r, nproc, port));
  std::set<std::string> seen;
  int first_failure = 0;
  std::chrono::steady_clock::time_point failed_at;
  bool killed = false;
  auto open_pipes = [&] {
    for (const auto& w : workers) {
      if (w.err_fd >= 0) return true;
    }
    return false;
  };
  // Until every worker has exited and every last line of theirs has been read.
  for (int alive = nproc; alive > 0 || open_pipes();) {
    if (const int s = g_forward_signal; s != 0) {
      g_forward_signal = 0;
      for (const auto& w : workers) {
        if (w.status < 0) ::kill(w.pid, s);
      }
    }
    std::vector<pollfd> fds;
    std::vector<int> which;
    for (int r = 0; r < nproc; ++r) {
      if (workers[r].err_fd >= 0) {
        fds.push_back({workers[r].err_fd, POLLIN, 0});
        which.push_back(r);
      }
    }
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Worker& w = workers[which[i]];
      char buf[4096];
      const ssize_t n = ::read(w.err_fd, buf, sizeof buf);
      if (n > 0) {
        forward_lines(w, which[i], std::string(buf, static_cast<size_t>(n)), seen, false);
      } else if (n == 0 || errno != EINTR) {
        forward_lines(w, which[i], "", seen, true);
        ::close(w.err_fd);
        w.err_fd = -1;
      }
    }
    if (fds.empty()) ::usleep(100000);
    for (auto& w : workers) {
      int raw = 0;
      if (w.status >= 0 || ::waitpid(w.pid, &raw, WNOHANG) != w.pid) continue;
      w.status = decode(raw);
      --alive;
      if (w.status != 0 && first_failure == 0) {
        first_failure = w.status;
        failed_at = std::chrono::steady_clock::now();
      }
    }
    // The others stop on their own when c10d notices the lost rank; this is the backstop.
    const auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - failed_at);
    if (first_failure != 0 && !killed && alive > 0 && waited.count() > grace_s) {
      for (const auto& w : workers) {
        if (w.status < 0) ::kill(w.pid, SIGKILL);
      }
      killed = true;
    }
  }
  for (auto& w : workers) {
    if (w.err_fd >= 0) ::close(w.err_fd);
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return first_failure;
}

}  // namespace charrnn::cli
