#pragma once
// The status socket (`status.socket`, default /run/outpost/status.sock): a
// Unix stream socket, mode 0660, group `outpost` (socket_access.hpp: who may
// ask, and the peer check), served by the event loop. A client connects,
// the agent writes one JSON answer (report.hpp) and closes; the client sends
// nothing, so there is no request to parse and no client state to keep.
//
// Start-up never steals a live socket: a path that is not a socket is left
// alone, a socket another process still answers on is left alone (both are
// errors), and only a stale one (connection refused) is replaced. The socket
// file is removed at shutdown if it is still the one this server bound.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "agent/common/error.hpp"
#include "agent/status/socket_access.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::status {

class StatusServer {
  public:
    // Makes the answer; called once per loop pass that has clients waiting.
    using Answer = std::function<std::string()>;

    [[nodiscard]] static Expected<std::unique_ptr<StatusServer>> start(
        transport::EventLoop& loop, const std::filesystem::path& socket_path, Answer answer);
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;

    [[nodiscard]] std::uint64_t answered() const { return answered_; }

  private:
    StatusServer(transport::EventLoop& loop, std::filesystem::path path, Answer answer);
    [[nodiscard]] Expected<void> watch();
    void on_acceptable();
    void pause(std::string_view why);
    // True (the client told why and closed) for a peer outside the group.
    [[nodiscard]] bool refuse_outsider(int client);

    transport::EventLoop& loop_;
    std::filesystem::path path_;
    Answer answer_;
    SocketAccess access_;
    executors::UniqueFd listen_fd_;
    dev_t dev_ = 0;  // identity of the socket file we bound, to remove only ours
    ino_t ino_ = 0;
    std::unique_ptr<transport::FdWatch> watch_;
    transport::Timer resume_;
    std::uint64_t answered_ = 0;
};

}  // namespace outpost::status
