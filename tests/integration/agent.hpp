#pragma once
// The agent (`outpost run`) as a child process: its YAML config written into
// the test's temp dir (state dir, status socket and everything else inside
// it), its identity read with `outpost identity`, its log lines (stderr)
// kept for assertions and printed when the test fails.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "support.hpp"

namespace outpost::integration {

class Hub;

class Agent {
public:
    // Defaults: node.id `node_id`, reconnect.initial 200ms, reconnect.max 2s,
    // logging.level info; every proxy variable removed from the environment.
    Agent(const TempDir& dir, std::string node_id = "node-1");
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Sets `section.key` to a YAML value written verbatim ("200ms",
    // "[\"pin\"]", "exchange"); an empty value removes the key.
    void set(const std::string& section, const std::string& key, const std::string& value);

    [[nodiscard]] const std::string& node_id() const { return node_id_; }
    // `outpost identity` (creates the key on first use): the base64url key.
    const std::string& public_key();

    // Points server.url at `hub` (and server.ca_file at its CA unless set),
    // writes the config and runs `outpost run --config FILE`.
    void start(const Hub& hub);
    void signal(int sig);
    // The wait status once exited, nullopt at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds limit);
    [[nodiscard]] bool running() const { return process_ && !process_->exited(); }
    // SIGTERM, bounded wait, SIGKILL.
    void stop();

    // Log lines (stderr) seen so far; mark() is the current count.
    [[nodiscard]] std::size_t mark();
    [[nodiscard]] const std::vector<std::string>& lines();
    // Index of the first line at or after `from` containing `needle`.
    std::optional<std::size_t> wait_log(const std::string& needle, std::chrono::milliseconds limit,
                                        std::size_t from = 0);
    [[nodiscard]] std::size_t count_log(const std::string& needle, std::size_t from = 0,
                                        std::size_t to = SIZE_MAX);
    [[nodiscard]] std::string log_text() const;

    [[nodiscard]] std::string config_path() const { return dir_.file(node_id_ + ".yaml"); }

private:
    void write_config();
    void drain();

    const TempDir& dir_;
    std::string node_id_;
    std::map<std::string, std::map<std::string, std::string>> config_;
    std::optional<std::string> public_key_;
    std::unique_ptr<ChildProcess> process_;
    std::vector<std::string> lines_;
    bool exit_noted_ = false;  // the exit status line was added to lines_
};

}  // namespace outpost::integration
