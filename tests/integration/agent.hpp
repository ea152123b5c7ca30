#pragma once
// The agent (`outpost run`) as a child process: its YAML config written into
// the test's temp dir (state dir, status socket and everything else inside
// it), its identity read with `outpost identity`, its log lines (stderr)
// kept for assertions and printed when the test fails.

#include <sys/types.h>

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

    // Appends one `executor.commands` entry, a YAML flow map written
    // verbatim ("{name: id, path: /usr/bin/id, run_as: nobody}"); the list is
    // written as `executor.commands: [..]` with the config.
    void add_command(const std::string& flow_map);
    // Empties executor.commands (for a reload that removes entries).
    void clear_commands() {
        commands_.clear();
        set("executor", "commands", "");
    }
    // Writes the config file as set so far (start() does it too), for a
    // running agent to read at SIGHUP.
    void rewrite_config() { write_config(); }

    [[nodiscard]] const std::string& node_id() const { return node_id_; }
    // node.state_dir (journal.db, the identity key); the same across restarts.
    [[nodiscard]] std::string state_dir() const { return dir_.file(node_id_ + "-state"); }
    // `outpost identity` (creates the key on first use): the base64url key.
    const std::string& public_key();

    // Points server.url at `hub` (or at `url` when given: a proxy in front
    // of it), server.ca_file at its CA unless set, writes the config and runs
    // `outpost run --config FILE`.
    void start(const Hub& hub, const std::string& url = {});
    void signal(int sig);
    // SIGKILL (a crash) and the reap; REQUIREs the exit within 10 s. start()
    // again runs a new process with the same config and state dir.
    void kill();
    // The wait status once exited, nullopt at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds limit);
    [[nodiscard]] bool running() const { return process_ && !process_->exited(); }
    // The running agent's process id (-1 before start()).
    [[nodiscard]] pid_t pid() const { return process_ ? process_->pid() : -1; }
    // An environment variable for the next start() (e.g. ASAN_OPTIONS).
    void set_env(const std::string& key, const std::string& value) { env_[key] = value; }
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
    std::vector<std::string> commands_;  // executor.commands entries (flow maps)
    std::map<std::string, std::string> env_;
    std::optional<std::string> public_key_;
    std::unique_ptr<ChildProcess> process_;
    std::vector<std::string> lines_;
    bool exit_noted_ = false;  // the exit status line was added to lines_
};

// A copy of `source` in a fresh directory next to it (mode 0755, file mode
// 0755), so that the allow-list's program trust (root-owned, no group/other
// write on every component) holds without touching system directories;
// removed on destruction. `trusted()` is false (with `why()`) when the
// directories above are not trusted, e.g. a build tree under /tmp.
class TrustedProgram {
  public:
    explicit TrustedProgram(const std::string& source);
    ~TrustedProgram();
    TrustedProgram(const TrustedProgram&) = delete;
    TrustedProgram& operator=(const TrustedProgram&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] bool trusted() const { return why_.empty(); }
    [[nodiscard]] const std::string& why() const { return why_; }

  private:
    std::string dir_;
    std::string path_;
    std::string why_;
};

// Pids of live processes whose command line (NUL-joined argv) contains
// `needle`, this test process excluded.
std::vector<pid_t> processes_with_arg(const std::string& needle);

// `text` as a JSON string literal (quotes included), for hub control lines.
std::string json_quote(const std::string& text);

}  // namespace outpost::integration
