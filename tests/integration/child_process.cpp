#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace outpost::integration {
namespace {

std::vector<ChildProcess*>& live_children() {
    static std::vector<ChildProcess*> children;
    return children;
}

std::runtime_error os_error(const std::string& what, int err) {
    return std::runtime_error(what + ": " + std::strerror(err));
}

void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

std::vector<std::string> build_environment(const SpawnOptions& options) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        std::string key = entry.substr(0, entry.find('='));
        bool drop = options.set_env.contains(key) ||
                    std::find(options.unset_env.begin(), options.unset_env.end(), key) !=
                        options.unset_env.end();
        if (!drop) env.push_back(std::move(entry));
    }
    for (const auto& [key, value] : options.set_env) env.push_back(key + "=" + value);
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Ignore SIGPIPE once: writing to a child that died must be an error, not
// the end of the test binary.
void ignore_sigpipe() {
    static const bool done = [] {
        std::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)done;
}

}  // namespace

std::string describe_status(int wait_status) {
    if (WIFEXITED(wait_status)) return "exited with " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        return "killed by signal " + std::to_string(WTERMSIG(wait_status));
    }
    return "wait status " + std::to_string(wait_status);
}

ChildProcess::ChildProcess(const SpawnOptions& options) {
    if (options.argv.empty()) throw std::runtime_error("ChildProcess: empty argv");
    ignore_sigpipe();
    name_ = options.argv.front();
    if (auto slash = name_.rfind('/'); slash != std::string::npos) name_ = name_.substr(slash + 1);

    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0) throw os_error("pipe", errno);
    if (pipe2(out, O_CLOEXEC) != 0) {
        int e = errno;
        close(in[0]), close(in[1]);
        throw os_error("pipe", e);
    }
    if (pipe2(err, O_CLOEXEC) != 0) {
        int e = errno;
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        throw os_error("pipe", e);
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);

    // A clean signal state in the child, whatever the test binary changed.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args = options.argv;
    std::vector<std::string> env = build_environment(options);
    auto argv = c_strings(args);
    auto envp = c_strings(env);
    int rc = posix_spawn(&pid_, args.front().c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(in[1]), close(out[0]), close(err[0]);
        throw os_error("posix_spawn " + args.front(), rc);
    }
    stdin_fd_ = in[1];
    out_.fd = out[0];
    err_.fd = err[0];
    set_nonblocking(stdin_fd_);
    set_nonblocking(out_.fd);
    set_nonblocking(err_.fd);
    live_children().push_back(this);
}

ChildProcess::~ChildProcess() {
    terminate();
    close_stdin();
    for (Pipe* p : {&out_, &err_}) {
        if (p->fd >= 0) close(p->fd);
        p->fd = -1;
    }
    auto& children = live_children();
    children.erase(std::remove(children.begin(), children.end(), this), children.end());
}

bool ChildProcess::write_stdin(std::string_view text, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!text.empty()) {
        if (stdin_fd_ < 0) return false;
        ssize_t n = write(stdin_fd_, text.data(), text.size());
        if (n > 0) {
            text.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return false;
        if (Clock::now() >= deadline) return false;
        pollfd p{stdin_fd_, POLLOUT, 0};
        poll(&p, 1, 20);
        pump(0ms);
    }
    return true;
}

void ChildProcess::close_stdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
}

std::optional<std::string> ChildProcess::take_line(Stream stream) {
    Pipe& p = pipe(stream);
    auto nl = p.all.find('\n', p.taken);
    if (nl == std::string::npos) {
        // The last line of a finished stream needs no newline.
        if (p.fd < 0 && p.taken < p.all.size()) {
            std::string rest = p.all.substr(p.taken);
            p.taken = p.all.size();
            return rest;
        }
        return std::nullopt;
    }
    std::string line = p.all.substr(p.taken, nl - p.taken);
    p.taken = nl + 1;
    return line;
}

const std::string& ChildProcess::all_output(Stream stream) const {
    return stream == Stream::out ? out_.all : err_.all;
}

void ChildProcess::send_signal(int signal) {
    if (!status_ && pid_ > 0) kill(pid_, signal);
}

bool ChildProcess::poll_exit() {
    if (status_) return true;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = status;
        return true;
    }
    return false;
}

std::optional<int> ChildProcess::wait_exit(Clock::time_point deadline) {
    while (!poll_exit()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left <= 0ms) return std::nullopt;
        pump(std::min<std::chrono::milliseconds>(left, 20ms));
    }
    // Collect what the child wrote last.
    pump(0ms);
    return status_;
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
    if (poll_exit()) return;
    send_signal(SIGTERM);
    if (wait_exit(Clock::now() + grace)) return;
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
    pump(0ms);
}

void ChildProcess::read_from(Pipe& p) {
    char buffer[16384];
    while (p.fd >= 0) {
        ssize_t n = read(p.fd, buffer, sizeof buffer);
        if (n > 0) {
            p.all.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        close(p.fd);  // end of stream or error
        p.fd = -1;
    }
}

void ChildProcess::pump(std::chrono::milliseconds timeout) {
    std::vector<pollfd> fds;
    std::vector<std::pair<ChildProcess*, Pipe*>> owners;
    for (ChildProcess* c : live_children()) {
        for (Pipe* p : {&c->out_, &c->err_}) {
            if (p->fd < 0) continue;
            fds.push_back(pollfd{p->fd, POLLIN, 0});
            owners.emplace_back(c, p);
        }
    }
    if (fds.empty()) {
        if (timeout > 0ms) poll(nullptr, 0, static_cast<int>(timeout.count()));
        return;
    }
    int n = poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    if (n <= 0) return;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) owners[i].first->read_from(*owners[i].second);
    }
}

}  // namespace outpost::integration
