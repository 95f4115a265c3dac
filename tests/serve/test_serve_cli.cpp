// charrnn serve as a command: its refusals, the 0.0.0.0 warning, a clean stop on SIGINT.
#include <gtest/gtest.h>

#include "serve_fixture.h"

using namespace charrnn::testing;

TEST(ServeCli, AMissingModelsFolderIsAOneLineError) {
  TempDir tmp;
  expect_clean_error(run_cli("serve --models " + tmp / "nope", tmp), "--models");
  expect_clean_error(run_cli("serve --models " + tmp.path() + " --port 70000", tmp), "--port");
  expect_clean_error(run_cli("serve --models " + tmp.path() + " --weights int4", tmp), "--weights");
}

TEST(ServeCli, WarnsOnEveryInterfaceAndStopsOnSigint) {
  TempDir tmp;
  // Port 0: any free port. SIGINT once it serves (start-up can take seconds on a busy machine)
  // must stop it with status 0; `wait` gives the server's own status.
  const std::string err_file = tmp / "err";
  const std::string cmd = std::string(CHARRNN_BIN) + " serve --models " + models_dir() +
                          " --host 0.0.0.0 --port 0 2>" + err_file +
                          " & pid=$!; for i in $(seq 600); do grep -q serving " + err_file +
                          " && break; sleep 0.1; done; kill -INT $pid; wait $pid";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(err_file);
  const std::string err = read_file(tmp / "err");
  EXPECT_NE(err.find("every interface"), std::string::npos) << err;
  EXPECT_NE(err.find("serving"), std::string::npos) << err;
  EXPECT_NE(err.find("stopping"), std::string::npos) << err;
}
