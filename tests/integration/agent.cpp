#include "agent.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <sstream>

#include "hub.hpp"

namespace outpost::integration {
namespace {

const std::vector<std::string> kProxyVariables = {"http_proxy",  "https_proxy", "HTTP_PROXY",
                                                  "HTTPS_PROXY", "all_proxy",   "ALL_PROXY",
                                                  "no_proxy",    "NO_PROXY"};

}  // namespace

Agent::Agent(const TempDir& dir, std::string node_id) : dir_(dir), node_id_(std::move(node_id)) {
    set("server", "url", "wss://localhost:1/v1/agent");  // replaced by start()
    set("node", "id", node_id_);
    set("node", "state_dir", dir_.file(node_id_ + "-state"));
    set("status", "socket", dir_.file(node_id_ + "-status.sock"));
    set("reconnect", "initial", "200ms");
    set("reconnect", "max", "2s");
    set("logging", "level", "info");
}

Agent::~Agent() {
    if (process_) {
        process_->terminate();
        drain();
    }
    if (current_test_failed()) print_block("outpost (" + node_id_ + ") log", log_text());
}

void Agent::set(const std::string& section, const std::string& key, const std::string& value) {
    if (value.empty()) {
        config_[section].erase(key);
    } else {
        config_[section][key] = value;
    }
}

void Agent::add_command(const std::string& flow_map) {
    commands_.push_back(flow_map);
}

void Agent::write_config() {
    if (!commands_.empty()) {
        std::string list = "[";
        for (std::size_t i = 0; i < commands_.size(); ++i) {
            if (i) list += ", ";
            list += commands_[i];
        }
        set("executor", "commands", list + "]");
    }
    std::ostringstream yaml;
    for (const auto& [section, keys] : config_) {
        if (keys.empty()) continue;
        yaml << section << ":\n";
        for (const auto& [key, value] : keys) yaml << "  " << key << ": " << value << "\n";
    }
    write_file(config_path(), yaml.str());
}

const std::string& Agent::public_key() {
    if (public_key_) return *public_key_;
    write_config();
    ChildProcess identity(
        SpawnOptions({OUTPOST_AGENT_BIN, "identity", "--config", config_path()}, kProxyVariables));
    auto status = identity.wait_exit(Clock::now() + 30s);
    const std::string out = identity.all_output(ChildProcess::Stream::out);
    INFO("outpost identity: " << out << identity.all_output(ChildProcess::Stream::err));
    REQUIRE(status);
    REQUIRE(describe_status(*status) == "exited with 0");
    REQUIRE(out.find("node_id: " + node_id_ + "\n") != std::string::npos);
    const std::string prefix = "public_key: ";
    auto at = out.find(prefix);
    REQUIRE(at != std::string::npos);
    auto end = out.find('\n', at);
    public_key_ = out.substr(at + prefix.size(), end - at - prefix.size());
    REQUIRE(public_key_->size() == 43);  // 32 bytes, base64url without padding
    return *public_key_;
}

void Agent::start(const Hub& hub, const std::string& url) {
    REQUIRE_FALSE(running());
    set("server", "url", url.empty() ? hub.url() : url);
    if (!config_["server"].contains("ca_file")) set("server", "ca_file", hub.pki_file("ca.pem"));
    write_config();
    if (process_) drain();
    lines_.push_back("=== outpost run (" + node_id_ + ") ===");
    exit_noted_ = false;
    SpawnOptions options({OUTPOST_AGENT_BIN, "run", "--config", config_path()}, kProxyVariables);
    options.set_env = env_;
    process_ = std::make_unique<ChildProcess>(std::move(options));
}

void Agent::signal(int sig) {
    REQUIRE(process_);
    process_->send_signal(sig);
}

void Agent::kill() {
    REQUIRE(process_);
    process_->send_signal(SIGKILL);
    auto status = process_->wait_exit(Clock::now() + 10s);
    drain();
    REQUIRE(status);
}

std::optional<int> Agent::wait_exit(std::chrono::milliseconds limit) {
    if (!process_) return std::nullopt;
    auto status = process_->wait_exit(Clock::now() + limit);
    drain();
    return status;
}

void Agent::stop() {
    if (!process_) return;
    process_->terminate(5s);
    drain();
}

void Agent::drain() {
    if (!process_) return;
    while (auto line = process_->take_line(ChildProcess::Stream::err)) {
        lines_.push_back(std::move(*line));
    }
    if (process_->exited()) {
        if (!exit_noted_) {
            exit_noted_ = true;
            lines_.push_back("=== " + describe_status(*process_->wait_exit(Clock::now())) + " ===");
        }
    }
}

std::size_t Agent::mark() {
    ChildProcess::pump(0ms);
    drain();
    return lines_.size();
}

const std::vector<std::string>& Agent::lines() {
    (void)mark();
    return lines_;
}

std::optional<std::size_t> Agent::wait_log(const std::string& needle,
                                           std::chrono::milliseconds limit, std::size_t from) {
    const auto deadline = Clock::now() + limit;
    std::size_t next = from;
    for (;;) {
        drain();
        for (; next < lines_.size(); ++next) {
            if (lines_[next].find(needle) != std::string::npos) return next;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left <= 0ms) return std::nullopt;
        ChildProcess::pump(std::min<std::chrono::milliseconds>(left, 50ms));
    }
}

std::size_t Agent::count_log(const std::string& needle, std::size_t from, std::size_t to) {
    (void)mark();
    std::size_t n = 0;
    for (std::size_t i = from; i < std::min(to, lines_.size()); ++i) {
        if (lines_[i].find(needle) != std::string::npos) ++n;
    }
    return n;
}

std::string Agent::log_text() const {
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
}

namespace {

// Why `dir` and every directory above it would fail the program trust
// check (root-owned, no group/other write), "" when they pass.
std::string untrusted_reason(const std::filesystem::path& dir) {
    std::filesystem::path at;
    for (const auto& part : dir) {
        at /= part;
        struct stat st {};
        if (::lstat(at.c_str(), &st) != 0) return at.string() + ": cannot stat";
        if (S_ISLNK(st.st_mode)) return at.string() + " is a symlink";
        if (st.st_uid != 0) return at.string() + " is not owned by root";
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            return at.string() + " is writable by its group or others";
        }
    }
    return "";
}

}  // namespace

TrustedProgram::TrustedProgram(const std::string& source) {
    namespace fs = std::filesystem;
    if (::geteuid() != 0) {
        why_ = "the test does not run as root (commands need run_as)";
        return;
    }
    // A root-owned place outside any sticky world-writable tree (a build tree
    // under /tmp would not be trusted, and CI may clone anywhere).
    const fs::path base = "/var/lib/outpost-tests";
    std::error_code made;
    fs::create_directories(base, made);
    fs::permissions(base, fs::perms(0755), made);
    std::string pattern = (base / "trusted-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
        why_ = "mkdtemp " + pattern + " failed";
        return;
    }
    dir_ = pattern;
    fs::permissions(dir_, fs::perms(0755));
    path_ = (fs::path(dir_) / fs::path(source).filename()).string();
    fs::copy_file(source, path_, fs::copy_options::overwrite_existing);
    fs::permissions(path_, fs::perms(0755));
    why_ = untrusted_reason(dir_);
}

TrustedProgram::~TrustedProgram() {
    if (dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::vector<pid_t> processes_with_arg(const std::string& needle) {
    std::vector<pid_t> out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    const pid_t self = ::getpid();
    while (const dirent* entry = ::readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0' || pid == self) continue;
        const std::string cmdline = read_file("/proc/" + std::string(entry->d_name) + "/cmdline");
        if (cmdline.find(needle) == std::string::npos) continue;
        // A zombie has an empty cmdline, so a match is a live process.
        out.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(proc);
    return out;
}

std::string json_quote(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

}  // namespace outpost::integration
