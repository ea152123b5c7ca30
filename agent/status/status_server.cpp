#include "agent/status/status_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/log/log.hpp"
#include "agent/status/report.hpp"
#include "agent/status/socket_access.hpp"
#include "agent/status/unix_address.hpp"

namespace outpost::status {
namespace {

constexpr std::string_view kLog = "status";
// Clients taken per loop pass: a flood of connections cannot hold the loop.
constexpr int kAcceptsPerPass = 32;
// After an accept error that would repeat at once (out of fds or memory).
constexpr std::chrono::seconds kPauseAfterError{1};
constexpr int kBacklog = 16;

std::string errno_text(int error) {
    return std::strerror(error);
}

Expected<sockaddr_un> address_of(const std::filesystem::path& path) {
    auto address = unix_address(path.native());
    if (!address) {
        return fail("status.socket " + path.native() + ": a Unix socket path must be 1.." +
                    std::to_string(kMaxSocketPathBytes) + " bytes long");
    }
    return *address;
}

// Whether the socket file at `address` is stale: only a refused connection
// proves that nothing listens. Anything else (a live listener, a full
// backlog, a datagram socket, a permission error) leaves the file alone.
Expected<bool> is_stale(const std::filesystem::path& path, const sockaddr_un& address) {
    executors::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return fail("status socket: " + errno_text(errno));
    int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    int error = rc == 0 ? 0 : errno;
    if (error == ECONNREFUSED) return true;
    if (rc == 0 || error == EAGAIN || error == EINPROGRESS) return false;
    return fail("status.socket " + path.native() +
                ": cannot tell whether the socket there is in "
                "use (" +
                errno_text(error) + "); not replacing it");
}

// Clears the way for bind(): nothing there, or a stale socket of ours to
// remove. The directory was checked first (no one else can swap entries).
Expected<void> make_room(const std::filesystem::path& path, const sockaddr_un& address) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return fail("status.socket " + path.native() + ": " + errno_text(errno));
    }
    if (!S_ISSOCK(st.st_mode)) {
        return fail("status.socket " + path.native() +
                    " exists and is not a socket; not replacing it");
    }
    if (st.st_uid != ::geteuid()) {
        return fail("status.socket " + path.native() + " is a socket owned by uid " +
                    std::to_string(st.st_uid) + ", not this agent's; not replacing it");
    }
    auto stale = is_stale(path, address);
    if (!stale) return std::unexpected(stale.error());
    if (!*stale) {
        return fail("status.socket " + path.native() +
                    ": another process is answering on it (a second agent with the same "
                    "config?); not replacing it");
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail("status.socket " + path.native() +
                    ": cannot remove the stale socket: " + errno_text(errno));
    }
    log::info(kLog, "removed the stale status socket {} (no process answered on it)",
              path.native());
    return {};
}

// The directory is created like systemd's RuntimeDirectory (0755) when
// missing. An existing one must be the agent's or root's and not writable by
// others (unless sticky, like /tmp): otherwise another user could swap the
// socket file between the checks above and bind(), or plant their own.
Expected<void> check_directory(const std::filesystem::path& path) {
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail("status.socket " + path.native() + ": cannot create " + dir.native() + ": " +
                    errno_text(errno));
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        return fail("status.socket " + path.native() + ": " + dir.native() + ": " +
                    errno_text(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return fail("status.socket " + path.native() + ": " + dir.native() + " is not a directory");
    }
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
        return fail("status.socket " + path.native() + ": " + dir.native() + " is owned by uid " +
                    std::to_string(st.st_uid) + " (must be root's or the agent's)");
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
        return fail("status.socket " + path.native() + ": " + dir.native() +
                    " is writable by group or others (and not sticky)");
    }
    return {};
}

}  // namespace

StatusServer::StatusServer(transport::EventLoop& loop, std::filesystem::path path, Answer status,
                           Answer metrics)
    : loop_(loop),
      path_(std::move(path)),
      status_(std::move(status)),
      metrics_(std::move(metrics)),
      silent_(loop),
      access_(socket_access()),
      resume_(loop) {}

// A peer the socket's mode should have kept out (docs/status.md, "Who may
// ask"): told why in one line, and logged.
bool StatusServer::refuse_outsider(int client) {
    const std::string why = refused_peer(client, access_);
    if (why.empty()) return false;
    log::warn(kLog, "status socket: refused a client: {}", why);
    const std::string line = std::string(kRefusedPrefix) + why + "\n";
    (void)::send(client, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(client);
    return true;
}

Expected<std::unique_ptr<StatusServer>> StatusServer::start(transport::EventLoop& loop,
                                                            const std::filesystem::path& path,
                                                            Answer status, Answer metrics) {
    auto address = address_of(path);
    if (!address) return std::unexpected(address.error());
    if (auto ok = check_directory(path); !ok) return std::unexpected(ok.error());
    if (auto ok = make_room(path, *address); !ok) return std::unexpected(ok.error());

    std::unique_ptr<StatusServer> server(
        new StatusServer(loop, path, std::move(status), std::move(metrics)));
    server->listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!server->listen_fd_.valid()) return fail("status socket: " + errno_text(errno));
    // bind() creates the file with the umask's mode: 0660 from the first
    // instant, and no chmod() by path afterwards (it would follow a link).
    // Its group is the agent's until give_to_group() below: never wider.
    mode_t old_mask = ::umask(0117);
    int rc = ::bind(server->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&*address),
                    sizeof(*address));
    int bind_error = errno;
    ::umask(old_mask);
    if (rc != 0) {
        return fail("status.socket " + path.native() + ": bind: " + errno_text(bind_error));
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return fail("status.socket " + path.native() + ": " + errno_text(errno));
    }
    server->dev_ = st.st_dev;
    server->ino_ = st.st_ino;
    if (auto given = give_to_group(path, server->access_); !given) {
        // Root and the agent's user can still ask; say who else cannot.
        log::warn(kLog, "{}; only root and the agent's user can use it", given.error().message());
        server->access_.group = ::getegid();
    }
    if (::listen(server->listen_fd_.get(), kBacklog) != 0) {
        return fail("status.socket " + path.native() + ": " + errno_text(errno));
    }
    if (auto ok = server->watch(); !ok) return std::unexpected(ok.error());
    return server;
}

StatusServer::~StatusServer() {
    watch_.reset();
    resume_.cancel();
    silent_.cancel();
    waiting_.clear();
    if (!listen_fd_.valid()) return;
    listen_fd_.reset();
    // Only our own file: a second agent may have replaced a socket it found
    // stale while this one was not answering.
    struct stat st {};
    if (dev_ != 0 && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
        ::unlink(path_.c_str());
    }
}

Expected<void> StatusServer::watch() {
    auto watch = transport::FdWatch::create(loop_, listen_fd_.get(), [this] { on_acceptable(); });
    if (!watch) return std::unexpected(watch.error().context("status socket"));
    watch_ = std::move(*watch);
    return {};
}

void StatusServer::pause(std::string_view why) {
    log::warn(kLog, "status socket: {}; not accepting for {} s", why, kPauseAfterError.count());
    watch_.reset();  // a listening fd that stays readable would spin the loop
    resume_.schedule(kPauseAfterError, [this] {
        // Still out of fds (the watch needs one): pause again, never give up.
        if (auto ok = watch(); !ok) pause(ok.error().message());
    });
}

void StatusServer::on_acceptable() {
    for (int i = 0; i < kAcceptsPerPass; ++i) {
        int client = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) {
            int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK) return;
            if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
            pause("accept: " + errno_text(error));
            return;
        }
        if (refuse_outsider(client)) continue;
        take_client(executors::UniqueFd(client));
    }
}

// The request is usually there already (the client sends it right after
// connecting); otherwise the client waits, watched by the loop.
void StatusServer::take_client(executors::UniqueFd client) {
    if (waiting_.size() >= kMaxWaitingClients) {
        respond(client.get(), "status");  // the behaviour before requests existed
        return;
    }
    const std::uint64_t id = next_id_++;
    Waiting& w = waiting_[id];
    w.fd = std::move(client);
    w.since = std::chrono::steady_clock::now();
    on_request_bytes(id);
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return;  // answered at once
    auto watch = transport::FdWatch::create(loop_, it->second.fd.get(),
                                            [this, id] { on_request_bytes(id); });
    if (!watch) {
        respond(it->second.fd.get(), "status");
        waiting_.erase(it);
        return;
    }
    it->second.watch = std::move(*watch);
    if (!silent_.pending()) {
        silent_.schedule(kSilentClientGrace, [this] { answer_silent_clients(); });
    }
}

void StatusServer::on_request_bytes(std::uint64_t id) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return;
    Waiting& w = it->second;
    char buffer[kMaxRequestBytes];
    const std::size_t room = kMaxRequestBytes - w.request.size();
    ssize_t n = ::recv(w.fd.get(), buffer, room, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n < 0) {
        waiting_.erase(it);  // the client went away
        return;
    }
    w.request.append(buffer, static_cast<std::size_t>(n));
    const auto newline = w.request.find('\n');
    if (newline != std::string::npos || n == 0) {
        // EOF without a line: a client that shut down its side without
        // asking; it gets the status like a silent one.
        const std::string line = newline != std::string::npos ? w.request.substr(0, newline)
                                 : w.request.empty()          ? "status"
                                                              : w.request;
        respond(w.fd.get(), line);
        waiting_.erase(it);
        return;
    }
    if (w.request.size() >= kMaxRequestBytes) {
        log::debug(kLog, "status socket: a request over {} bytes; closed", kMaxRequestBytes);
        waiting_.erase(it);
    }
}

void StatusServer::answer_silent_clients() {
    const auto now = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> next;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (now - it->second.since >= kSilentClientGrace) {
            respond(it->second.fd.get(), "status");
            it = waiting_.erase(it);
            continue;
        }
        if (!next || it->second.since < *next) next = it->second.since;
        ++it;
    }
    if (next) {
        auto delay =
            std::chrono::duration_cast<std::chrono::microseconds>(*next + kSilentClientGrace - now);
        silent_.schedule(delay, [this] { answer_silent_clients(); });
    }
}

void StatusServer::respond(int fd, std::string_view request_line) {
    if (request_line.ends_with('\r')) request_line.remove_suffix(1);
    std::string answer;
    if (request_line == "status") {
        answer = status_();
    } else if (request_line == "metrics" && metrics_) {
        answer = metrics_();
    } else {
        // Printable and bounded: the request is at most kMaxRequestBytes.
        answer = "error: unknown request \"" + printable(request_line) +
                 "\" (this agent answers: status, metrics)\n";
    }
    // The answer (tens of KiB at most) fits in an empty socket buffer, so one
    // non-blocking send either takes it all or the client went away.
    ssize_t sent = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent != static_cast<ssize_t>(answer.size())) {
        log::debug(kLog, "status answer not sent whole ({} of {} bytes): {}", sent < 0 ? 0 : sent,
                   answer.size(), sent < 0 ? errno_text(errno) : "socket buffer full");
    } else {
        ++answered_;
    }
}

}  // namespace outpost::status
