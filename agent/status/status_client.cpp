#include "agent/status/status_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/status/socket_access.hpp"
#include "agent/status/unix_address.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::status {
namespace {

using Clock = std::chrono::steady_clock;

std::unexpected<FetchError> error(FetchError::Kind kind, std::string message) {
    return std::unexpected(FetchError{kind, std::move(message)});
}

// Why connect() failed, in the words of what to do about it.
std::string connect_problem(const std::string& path, int e) {
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    struct stat st {};
    switch (e) {
        case ENOENT:
            if (!dir.empty() && ::stat(dir.c_str(), &st) != 0 && errno == ENOENT) {
                return "the directory " + dir.native() + " of " + path +
                       " does not exist: the agent is not running (its service creates it at "
                       "start), or status.socket differs (try --socket)";
            }
            return "no status socket at " + path +
                   ": the agent is not running (or status.socket differs; try --socket)";
        case ECONNREFUSED:
            return "nothing answers on " + path + ": the agent is not running (stale socket)";
        case EACCES:
        case EPERM:
            return "permission denied on " + path + ": run as root or as a member of group " +
                   std::string(kOperatorGroup);
        default:
            return "cannot connect to " + path + ": " + std::strerror(e);
    }
}

std::unexpected<FetchError> no_answer(const std::string& path, std::chrono::milliseconds limit) {
    return error(FetchError::Kind::failed, "the agent did not answer on " + path + " within " +
                                               std::to_string(limit.count()) +
                                               " ms (is its loop stuck?)");
}

// A connected socket, or why there is none.
std::expected<executors::UniqueFd, FetchError> connect_to_agent(const std::string& path,
                                                                const sockaddr_un& address,
                                                                Clock::time_point deadline,
                                                                std::chrono::milliseconds limit) {
    // Non-blocking: a stuck agent's full listen backlog makes a blocking
    // connect() wait forever; a Unix socket answers EAGAIN instead, and the
    // connect is retried until the deadline.
    executors::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return error(FetchError::Kind::failed, std::strerror(errno));
    while (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        int e = errno;
        if (e == EINTR) continue;
        if (e == EAGAIN) {
            if (Clock::now() >= deadline) return no_answer(path, limit);
            ::poll(nullptr, 0, 20);
            continue;
        }
        struct stat st {};
        if (e == ECONNREFUSED && ::stat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
            return error(FetchError::Kind::failed,
                         path +
                             " is not a socket (check status.socket; the agent does not "
                             "replace other files)");
        }
        return error(e == ENOENT || e == ECONNREFUSED ? FetchError::Kind::not_running
                                                      : FetchError::Kind::failed,
                     connect_problem(path, e));
    }
    return fd;
}

// Only root (the agent as installed) or this user (an agent run by hand)
// is believed: anyone else could have put a socket at a path in a shared
// directory and would answer "all is well".
std::expected<void, FetchError> check_peer(int fd, const std::string& path) {
    ucred peer{};
    socklen_t peer_size = sizeof(peer);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_size) != 0) {
        return error(FetchError::Kind::failed, std::string("SO_PEERCRED: ") + std::strerror(errno));
    }
    if (peer.uid != 0 && peer.uid != ::geteuid()) {
        return error(FetchError::Kind::failed,
                     path + " is served by uid " + std::to_string(peer.uid) + " (pid " +
                         std::to_string(peer.pid) +
                         "), neither root nor you; not believing its answer");
    }
    return {};
}

// Everything the agent writes before it closes the connection, by the
// deadline and within kMaxAnswerBytes.
std::expected<std::string, FetchError> read_answer(int fd, const std::string& path,
                                                   Clock::time_point deadline,
                                                   std::chrono::milliseconds limit) {
    std::string answer;
    char buffer[16384];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return no_answer(path, limit);
        pollfd p{fd, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return error(FetchError::Kind::failed, std::strerror(errno));
        if (ready == 0) continue;
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        // An agent from before requests existed answers without reading the
        // request line; closing with it unread resets the connection after
        // the whole answer was queued: the end of the answer (an empty one
        // is refused below), not a read error.
        if (n < 0 && errno == ECONNRESET) break;
        if (n < 0) {
            return error(FetchError::Kind::failed,
                         "reading from " + path + ": " + std::strerror(errno));
        }
        if (n == 0) break;
        if (answer.size() + static_cast<std::size_t>(n) > kMaxAnswerBytes) {
            return error(FetchError::Kind::failed, "the answer on " + path + " is larger than " +
                                                       std::to_string(kMaxAnswerBytes) +
                                                       " bytes; refusing it");
        }
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    if (answer.empty()) {
        return error(FetchError::Kind::failed,
                     "the agent closed " + path + " without an answer (see its log)");
    }
    return answer;
}

// The request line. It is tiny and the socket new: one non-blocking send
// takes it whole.
std::expected<void, FetchError> send_request(int fd, const std::string& path,
                                             std::string_view request) {
    const std::string line = std::string(request) + "\n";
    ssize_t sent = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    // An agent from before requests existed may have answered and closed
    // already: its answer waits in our receive queue, read it.
    if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) return {};
    if (sent != static_cast<ssize_t>(line.size())) {
        return error(FetchError::Kind::failed,
                     "sending the request on " + path + ": " +
                         (sent < 0 ? std::strerror(errno) : std::string("short write")));
    }
    return {};
}

}  // namespace

std::expected<std::string, FetchError> fetch_answer(const std::filesystem::path& socket_path,
                                                    std::chrono::milliseconds limit,
                                                    std::string_view request) {
    const std::string& path = socket_path.native();
    const auto address = unix_address(path);
    if (!address) {
        return error(FetchError::Kind::failed, "status socket path must be 1.." +
                                                   std::to_string(kMaxSocketPathBytes) +
                                                   " bytes: " + path);
    }

    const Clock::time_point deadline = Clock::now() + limit;
    auto fd = connect_to_agent(path, *address, deadline, limit);
    if (!fd) return std::unexpected(fd.error());
    if (auto believed = check_peer(fd->get(), path); !believed)
        return std::unexpected(believed.error());
    if (auto sent = send_request(fd->get(), path, request); !sent)
        return std::unexpected(sent.error());
    auto answer = read_answer(fd->get(), path, deadline, limit);
    // The agent's own refusal (socket_access.hpp): its reason, as is.
    if (answer && answer->starts_with(kRefusedPrefix)) {
        std::string why = answer->substr(kRefusedPrefix.size());
        while (!why.empty() && why.back() == '\n') why.pop_back();
        return error(FetchError::Kind::failed, "the agent refused to answer: " + why);
    }
    return answer;
}

}  // namespace outpost::status
