#pragma once
// One HTTP/1.1 GET over a unix stream socket, the way the Docker Engine API
// is reached (/var/run/docker.sock), bounded in time and in size.
//
// The socket is non-blocking and every wait is a poll() against `deadline`:
// a daemon that accepts and never answers, or answers a byte a second, costs
// at most the time left, then an Error of kind timed_out. The response is
// read into memory up to `max_response_bytes`; a peer that sends more (a
// stats stream, 1 GB of garbage) is cut off there with an Error, never read
// to its end. Each request opens its own connection with `Connection:
// close`, so no connection state outlives a call.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "collectors/containers/http_response.hpp"

namespace outpost::collectors::containers {

// The largest Docker answer we read: `containers/json?all=1` for a few
// hundred containers is well under 1 MiB.
inline constexpr std::size_t default_max_response_bytes = 8 * 1024 * 1024;

struct UnixHttpRequest {
    std::string socket_path;
    std::string target;  // origin-form: "/v1.41/containers/json?all=1"
    std::chrono::steady_clock::time_point deadline;
    std::size_t max_response_bytes = default_max_response_bytes;
};

// Whether `target` can go into the request line "GET <target> HTTP/1.1" as
// it is: it starts with '/' and has only visible ASCII, no '#'. A space or
// CR/LF would end the line early or start a second request on the same
// connection (a smuggled POST to the engine).
[[nodiscard]] Expected<void> check_target(std::string_view target);

// The response, whatever its status (the caller decides what a 404 means).
// A target check_target() refuses is an invalid_input Error, and nothing is
// sent.
// Errors: not_found (no socket at the path), permission, io (refused, reset,
// closed early), timed_out, invalid_input (a reply that is not HTTP, or too
// large).
[[nodiscard]] Expected<HttpResponse> unix_http_get(const UnixHttpRequest& request);

}  // namespace outpost::collectors::containers
