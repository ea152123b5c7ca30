#pragma once
// A recording TCP relay for tests: it listens on a loopback port, connects
// each accepted connection to a target port and copies bytes both ways,
// keeping a copy of everything it forwarded. It is a test relay (a wire tap
// on a hop we control), not a fake of any peer: both ends are the real
// programs. The sealing test puts it between nginx and the hub to see what
// the plaintext hop behind a TLS terminator carries.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace outpost::integration {

class RecordingRelay {
  public:
    explicit RecordingRelay(int target_port);
    ~RecordingRelay();
    RecordingRelay(const RecordingRelay&) = delete;
    RecordingRelay& operator=(const RecordingRelay&) = delete;

    [[nodiscard]] int port() const { return port_; }

    // Bytes of every connection so far, in order: client → target and back.
    struct Capture {
        std::string upstream;    // what the client (nginx) sent to the target (hub)
        std::string downstream;  // what the target sent back
    };
    [[nodiscard]] std::vector<Capture> captures() const;

  private:
    void run();
    void relay(int client, std::size_t index);

    int target_port_;
    int listen_fd_ = -1;
    int port_ = 0;
    int stop_pipe_[2] = {-1, -1};
    mutable std::mutex mutex_;
    std::vector<Capture> captures_;
    std::vector<std::thread> workers_;
    std::thread acceptor_;
};

// The WebSocket messages in one direction of a captured connection: the
// HTTP upgrade is skipped, frames are parsed (RFC 6455 §5.2) and client
// frames unmasked, fragments joined. A frame cut off at the end is left out.
[[nodiscard]] std::vector<std::string> websocket_messages(const std::string& bytes);

}  // namespace outpost::integration
