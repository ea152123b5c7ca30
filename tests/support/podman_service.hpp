#pragma once
// Real podman as the Docker Engine API, for tests: a private `podman system
// service` on a unix socket in a temp dir, with its own storage (vfs), run
// root and temp dir there too, so it shares nothing with the host's
// containers and leaves nothing behind. The recipe (runc, cgroupfs, no
// network, a busybox image imported from a local root file system) is the
// one ../shared/test-peers.md records for this kind of host.
//
// Bounded: every podman command has a time limit, and the destructor always
// removes the containers (podman rm -af -t 0), stops the service by its pid
// (SIGTERM, then SIGKILL), waits (at most 15 s) for the helpers conmon
// started (`podman container cleanup`, which would write into the dir after
// its removal) to end, and removes the temp dir.
//
// Tests call PodmanService::missing() first and OUTPOST_SKIP with its reason
// when the host has no podman, runc or busybox (scripts/install-deps installs
// them).

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace outpost::test_support {

class PodmanService {
  public:
    // Why the service cannot run here ("podman is not installed"), or nullopt.
    [[nodiscard]] static std::optional<std::string> missing();

    // Imports the busybox image `localhost/bb:1` and starts the service.
    // Throws std::runtime_error (with podman's output) when that fails.
    PodmanService();
    ~PodmanService();
    PodmanService(const PodmanService&) = delete;
    PodmanService& operator=(const PodmanService&) = delete;

    [[nodiscard]] std::string socket_path() const { return dir_.file("podman.sock").string(); }
    // The service's process (for measuring what the API costs it).
    [[nodiscard]] pid_t service_pid() const { return service_pid_; }

    // `podman <private flags> args…`; its stdout. Throws when it fails or
    // takes longer than `limit`.
    std::string podman(const std::vector<std::string>& args,
                       std::chrono::seconds limit = std::chrono::seconds(60));

    // `podman run -d` of `command` in the busybox image with the flags this
    // host needs, named `name`, plus `options` before the image; the id.
    std::string run_detached(const std::string& name, const std::vector<std::string>& command,
                             const std::vector<std::string>& options = {});

  private:
    [[nodiscard]] std::vector<std::string> global_flags() const;
    void import_image();
    void start_service();
    void wait_for_helpers();

    TempDir dir_{"podman"};
    pid_t service_pid_ = -1;
};

}  // namespace outpost::test_support
