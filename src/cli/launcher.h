// charrnn train --nproc N: this machine's N ranks of a data-parallel run, started by charrnn
// itself with the environment torchrun would give them (no Python needed).
#pragma once
#include <string>
#include <vector>

namespace charrnn::cli {

// Runs `args` (a full command line: the charrnn binary's path first) as `nproc` worker processes
// with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and MASTER_PORT (a
// free port, or the caller's MASTER_PORT) set. Their stderr comes back line by line prefixed with
// "[rank R] " (a line another rank already printed word for word is shown once); stdout is
// shared. Workers run in their own process group; SIGINT/SIGTERM sent to the launcher are passed
// on to every worker, and a launcher that dies sends them SIGTERM. Once one worker fails, the others get
// `grace_s` seconds to exit on their own before they are killed. Returns 0 when every worker
// succeeded, else the status of the first one to fail (its exit code, or 128 + its signal).
int run_local_workers(const std::vector<std::string>& args, int nproc, double grace_s);

// The command line charrnn was started with, kept by main() for run_local_workers.
void set_command_line(int argc, char** argv);
const std::vector<std::string>& command_line();

}  // namespace charrnn::cli
