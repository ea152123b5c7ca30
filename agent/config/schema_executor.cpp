// Schema of the `executor` section and of each allow-listed command entry.
// A new per-entry rule is a new row in command_entry_table() (plus, when it
// relates several keys, a row in rules.cpp).

#include <chrono>

#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;

std::vector<Field<CommandEntry>> command_entry_table() {
    using E = CommandEntry;
    return {
        key("name", &E::name, name_token("._-", 64), required("disk-usage"),
            "Name the control plane uses in `execute.command`; unique within the list."),
        key("path", &E::path, absolute_path(), required("/usr/bin/df"),
            "Absolute path of the program; it is executed directly, never through a shell."),
        key("args", &E::args, free_text(0, 4096), optional(R"(["--human-readable"])"),
            "Fixed leading arguments, placed before the arguments sent with the command."),
        key("description", &E::description, free_text(0, 512),
            optional("Disk usage of all file systems"), "Human-readable purpose of the entry."),
        key("timeout", &E::timeout, duration_in(1s, 24h), defaults_to("60s"),
            "Run time limit when the command does not ask for one."),
        key("max_timeout", &E::max_timeout, duration_in(1s, 24h), derived("same as timeout", "10m"),
            "Largest `timeout_ms` a command may ask for; must be at least `timeout`."),
        key("max_output_bytes", &E::max_output_bytes, size_in(1024, 16ULL << 20),
            defaults_to("64KiB"), "Output kept per stream (stdout, stderr); the rest is dropped."),
        key("run_as", &E::run_as, user_name(), optional("nobody"),
            "User the command runs as; the agent's own user when absent."),
    };
}

}  // namespace

std::vector<Field<ExecutorConfig>> executor_table() {
    using X = ExecutorConfig;
    return {
        key("max_concurrent", &X::max_concurrent, count_in(1, 256), defaults_to("4"),
            "Commands running at the same time; more wait in a queue."),
        entries("commands", &X::commands, command_entry_table(),
                "The allow-list: the only programs the control plane can run. Empty by default "
                "(nothing can be executed)."),
    };
}

}  // namespace outpost::config
