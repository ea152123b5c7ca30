#pragma once
// A FAKE Docker socket, for fault shapes only: the ways a broken or hostile
// daemon can answer that the real one (podman, see
// tests/support/podman_service.hpp) cannot be made to produce. Every test of
// the happy path runs against real podman; this server never stands in for it.
//
// It listens on a unix socket on its own thread, reads each request's head,
// then misbehaves as told. The destructor stops the thread at once, even in
// the middle of a hang or a stream.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

namespace outpost::test_support {

enum class Fault {
    hang_after_accept,  // accepts, reads the request, never answers
    nonsense,           // answers bytes that are not HTTP, then closes
    stream_gigabyte,    // a 200 with a chunked body of 1 GiB, as fast as it can
    close_mid_body,     // a 200 announcing 1000 bytes, sends 8, closes
    wrong_chunk_size,   // a chunk whose size line is one less than its data
    slow_drip,          // a valid answer, one byte every 50 ms
    canned,             // the given bytes, then closes
};

class FaultServer {
  public:
    // Throws std::runtime_error when the socket cannot be made.
    FaultServer(std::filesystem::path socket_path, Fault fault, std::string canned = {});
    ~FaultServer();
    FaultServer(const FaultServer&) = delete;
    FaultServer& operator=(const FaultServer&) = delete;

    [[nodiscard]] const std::filesystem::path& socket_path() const { return path_; }
    // Bytes written to clients so far (the 1 GiB stream's progress).
    [[nodiscard]] std::uint64_t bytes_sent() const { return sent_.load(); }
    [[nodiscard]] int connections() const { return connections_.load(); }

  private:
    void serve();
    void answer(int client);
    bool send_bytes(int client, std::string_view bytes);
    bool wait_or_stop(int fd, short events, int timeout_ms);
    bool stopping(int timeout_ms);

    std::filesystem::path path_;
    Fault fault_;
    std::string canned_;
    int listener_ = -1;
    int stop_fd_ = -1;  // an eventfd the destructor signals
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

}  // namespace outpost::test_support
