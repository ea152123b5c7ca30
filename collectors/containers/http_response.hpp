#pragma once
// The HTTP/1.1 response reader of the Docker API client, as pure functions
// over the bytes received so far, so it is fuzzed and tested without any
// socket (tests/fuzz/fuzz_http_response.cpp).
//
// It reads what the Docker Engine (or podman's Docker-compatible service)
// sends to a `GET` with `Connection: close`: a status line, header fields, and
// a body framed by Content-Length, by chunked transfer coding, or by the
// peer closing the connection. Anything else (an interim 1xx, an unknown
// transfer coding, a folded header, a malformed chunk size, conflicting
// lengths) is an error, never a guess: the peer is one we talk to locally,
// and a reply outside this shape means something is wrong with it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::collectors::containers {

// The header section (status line and fields) may not be longer than this;
// Docker's are a few hundred bytes.
inline constexpr std::size_t max_response_head_bytes = 64 * 1024;

enum class BodyFraming { none, content_length, chunked, until_close };

struct ResponseHead {
    int status = 0;
    std::string reason;
    // Field names lower-cased; values with the surrounding blanks removed.
    std::vector<std::pair<std::string, std::string>> fields;
    BodyFraming framing = BodyFraming::until_close;
    std::uint64_t content_length = 0;  // with BodyFraming::content_length
    std::size_t body_offset = 0;       // where the body starts in the bytes
};

struct HttpResponse {
    ResponseHead head;
    std::string body;  // decoded (chunk framing removed)
};

// The status line and header fields at the start of `bytes`. nullopt: the
// head is not complete yet (more bytes may complete it). An Error
// (invalid_input): the head is malformed or longer than
// max_response_head_bytes; (io) the peer closed before the head's end.
[[nodiscard]] Expected<std::optional<ResponseHead>> parse_response_head(std::string_view bytes,
                                                                        bool peer_closed);

// The whole response in `bytes`. `peer_closed`: no more bytes will come (the
// peer closed its side), which completes an until-close body and turns a
// short one into an error. nullopt: not complete yet.
[[nodiscard]] Expected<std::optional<HttpResponse>> parse_http_response(std::string_view bytes,
                                                                        bool peer_closed);

// A chunked body (RFC 9112 §7.1) starting at `bytes`: chunk extensions and
// trailer fields are read and dropped. nullopt: not complete yet.
[[nodiscard]] Expected<std::optional<std::string>> decode_chunked_body(std::string_view bytes,
                                                                       bool peer_closed);

}  // namespace outpost::collectors::containers
