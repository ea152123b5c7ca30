#pragma once
// The bodies of the HTTPS polling fallback (protocol.md §7), as pure
// functions: which queued messages fit in one request body, and what a
// poll's answer means. PollConnection does the I/O around them; these are
// unit-tested on their own (tests/agent/transport/test_poll_body.cpp).

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::transport {

// `{"protocol":"outpost.v1","messages":[` + `]}`: what a request body adds
// around its messages (plus one comma between two messages). A message
// larger than max_message_bytes minus this can never travel in a poll, so
// the agent's outbound limit leaves room for it (poll_message_limit()).
[[nodiscard]] std::size_t poll_envelope_bytes(std::string_view protocol);
// The largest single message a body of at most `max_body_bytes` can carry.
[[nodiscard]] std::size_t poll_message_limit(std::size_t max_body_bytes, std::string_view protocol);

struct PollRequestBody {
    std::string text;
    std::size_t messages = 0;  // how many from the front of the queue it carries
};

// The request body carrying the longest prefix of `queue` (oldest first)
// that fits in `max_body_bytes` in total (§7); 0 messages when the queue is
// empty (an empty poll still asks for the server's messages). Each queued
// text is one complete JSON message, as send() took it.
[[nodiscard]] PollRequestBody encode_poll_request(std::string_view protocol,
                                                  const std::deque<std::string>& queue,
                                                  std::size_t max_body_bytes);

// The limit of one poll exchange: `connect_timeout` (10 s: TCP, TLS, proxy,
// the first answer byte) plus the request body's upload at a floor rate of
// 16 KiB/s, so a 1 MiB body on a 512 kbit/s link (about 16 s) is not
// cut off every time and re-sent for ever (review 3, item 7). The answer's
// download shares the limit: HttpsPost cannot tell progress apart.
inline constexpr std::size_t kPollFloorBytesPerSecond = 16 * 1024;
[[nodiscard]] std::chrono::milliseconds poll_exchange_timeout(
    std::chrono::milliseconds connect_timeout, std::size_t request_bytes);

// What a poll's HTTP answer means for the polling period.
enum class PollOutcome {
    delivered,  // 200 with `{"messages":[...]}`: what it carried is confirmed
    refused,    // 401, 403, 426, 429 or 503: handled as the same answer to an upgrade (§1)
    ended,      // anything else (a redirect, 409, 5xx, a bad body): the period ends
};

struct PollAnswer {
    PollOutcome outcome = PollOutcome::ended;
    int status = 0;
    std::vector<std::string> messages;  // delivered: each server message as JSON text
    std::string why;                    // ended: for the log line (never holds a token)
};

// Reads a poll's answer. `content_type` is only for the log line (an HTML
// page from a captive portal or a proxy says so).
[[nodiscard]] PollAnswer read_poll_answer(int status, std::string_view body,
                                          std::string_view content_type);

}  // namespace outpost::transport
