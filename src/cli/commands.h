// The CLI's subcommands: each file registers one on the app and runs it from its callback.
#pragma once
#include <CLI/CLI.hpp>

namespace charrnn::cli {

// Each registers its subcommand; `exit_code` receives the command's status when it runs.
void add_train_command(CLI::App& app, int& exit_code);
void add_generate_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_compare_command(CLI::App& app, int& exit_code);
void add_plot_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);

}  // namespace charrnn::cli
