#pragma once
// The status socket (`status.socket`, default /run/outpost/status.sock): a
// Unix stream socket, mode 0660, group `outpost` (socket_access.hpp: who may
// ask, and the peer check), served by the event loop. A client connects
// and sends one request line, `status\n` or `metrics\n`; the agent writes
// the answer (the JSON report, report.hpp, or the Prometheus text) and
// closes. A client that sends nothing for kSilentClientGrace (the CLI before
// `outpost metrics` existed) gets the status: old clients still work.
//
// Waiting clients are bounded (kMaxWaitingClients; past it a client gets the
// status at once, as before requests existed) and so is a request
// (kMaxRequestBytes): a client cannot make the agent hold memory or the loop.
//
// Start-up never steals a live socket: a path that is not a socket is left
// alone, a socket another process still answers on is left alone (both are
// errors), and only a stale one (connection refused) is replaced. The socket
// file is removed at shutdown if it is still the one this server bound.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/common/error.hpp"
#include "agent/status/socket_access.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::status {

// What a client may ask for; the request line is its name.
enum class Request { status, metrics };

// A client silent this long after connecting is asked for `status`.
inline constexpr std::chrono::milliseconds kSilentClientGrace{100};
inline constexpr std::size_t kMaxRequestBytes = 64;
inline constexpr std::size_t kMaxWaitingClients = 64;

class StatusServer {
  public:
    // Makes one answer; called for each client.
    using Answer = std::function<std::string()>;

    // `metrics` may be empty: a `metrics` request is then answered with an
    // error line.
    [[nodiscard]] static Expected<std::unique_ptr<StatusServer>> start(
        transport::EventLoop& loop, const std::filesystem::path& socket_path, Answer status,
        Answer metrics = {});
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;

    [[nodiscard]] std::uint64_t answered() const { return answered_; }

  private:
    // A client connected that has not sent its whole request yet.
    struct Waiting {
        executors::UniqueFd fd;
        std::unique_ptr<transport::FdWatch> watch;
        std::chrono::steady_clock::time_point since;
        std::string request;
    };

    StatusServer(transport::EventLoop& loop, std::filesystem::path path, Answer status,
                 Answer metrics);
    [[nodiscard]] Expected<void> watch();
    void on_acceptable();
    void take_client(executors::UniqueFd client);
    // Reads what the client sent; answers once the line (or EOF) is in.
    void on_request_bytes(std::uint64_t id);
    void answer_silent_clients();
    void respond(int fd, std::string_view request_line);
    void pause(std::string_view why);
    // True (the client told why and closed) for a peer outside the group.
    [[nodiscard]] bool refuse_outsider(int client);

    transport::EventLoop& loop_;
    std::filesystem::path path_;
    Answer status_;
    Answer metrics_;
    std::map<std::uint64_t, Waiting> waiting_;
    std::uint64_t next_id_ = 1;
    transport::Timer silent_;
    SocketAccess access_;
    executors::UniqueFd listen_fd_;
    dev_t dev_ = 0;  // identity of the socket file we bound, to remove only ours
    ino_t ino_ = 0;
    std::unique_ptr<transport::FdWatch> watch_;
    transport::Timer resume_;
    std::uint64_t answered_ = 0;
};

}  // namespace outpost::status
