#include "agent/transport/poll_body.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/printable.hpp"

namespace outpost::transport {
namespace {

// How much of a bad answer the log line shows.
constexpr std::size_t kShown = 120;

std::string request_prefix(std::string_view protocol) {
    return fmt::format(R"({{"protocol":"{}","messages":[)", protocol);
}

constexpr std::string_view kRequestSuffix = "]}";

bool refused_like_an_upgrade(int status) {
    return status == 401 || status == 403 || status == 426 || status == 429 || status == 503;
}

std::string shown(std::string_view body) {
    return printable(body.substr(0, kShown)) + (body.size() > kShown ? "…" : "");
}

std::string not_json_why(std::string_view body, std::string_view content_type,
                         std::string_view what) {
    return fmt::format("the poll answer (200, Content-Type '{}', {} bytes) is not {}: '{}'",
                       printable(content_type), body.size(), what, shown(body));
}

}  // namespace

std::size_t poll_envelope_bytes(std::string_view protocol) {
    return request_prefix(protocol).size() + kRequestSuffix.size();
}

std::size_t poll_message_limit(std::size_t max_body_bytes, std::string_view protocol) {
    const std::size_t envelope = poll_envelope_bytes(protocol);
    return max_body_bytes > envelope ? max_body_bytes - envelope : 0;
}

PollRequestBody encode_poll_request(std::string_view protocol, const std::deque<std::string>& queue,
                                    std::size_t max_body_bytes) {
    PollRequestBody body{request_prefix(protocol), 0};
    std::size_t size = body.text.size() + kRequestSuffix.size();
    for (const std::string& message : queue) {
        const std::size_t added = message.size() + (body.messages > 0 ? 1 : 0);
        if (size + added > max_body_bytes) break;  // oldest first: never skip ahead
        if (body.messages > 0) body.text += ',';
        body.text += message;
        size += added;
        ++body.messages;
    }
    body.text += kRequestSuffix;
    return body;
}

PollAnswer read_poll_answer(int status, std::string_view body, std::string_view content_type) {
    PollAnswer answer{PollOutcome::ended, status, {}, {}};
    if (refused_like_an_upgrade(status)) {
        answer.outcome = PollOutcome::refused;
        return answer;
    }
    if (status >= 300 && status < 400) {
        // Never followed: the next hop would get our Authorization header,
        // and a redirect to another origin would hand it the token.
        answer.why = fmt::format(
            "the poll was answered with a redirect (HTTP {}), which is not followed: it could "
            "take the bearer token to another origin; fix server.poll_url",
            status);
        return answer;
    }
    if (status != 200) {
        answer.why = fmt::format("the poll was answered with HTTP {}: '{}'", status, shown(body));
        return answer;
    }
    auto document = json::Document::parse(body);
    if (!document) {
        answer.why = not_json_why(body, content_type, "JSON");
        return answer;
    }
    auto root = document->root().object();
    std::optional<json::Array> messages;
    if (root) {
        for (const auto& member : *root) {
            if (member.key == "messages") messages = member.value.array();
        }
    }
    if (!messages) {
        answer.why = not_json_why(body, content_type, R"({"messages":[...]})");
        return answer;
    }
    for (const json::Value& message : *messages) answer.messages.push_back(message.minified());
    answer.outcome = PollOutcome::delivered;
    return answer;
}

std::chrono::milliseconds poll_exchange_timeout(std::chrono::milliseconds connect_timeout,
                                                std::size_t request_bytes) {
    // Rounded up, so any body adds at least a millisecond.
    const auto upload_ms =
        (request_bytes * 1000 + kPollFloorBytesPerSecond - 1) / kPollFloorBytesPerSecond;
    return connect_timeout + std::chrono::milliseconds(static_cast<std::int64_t>(upload_ms));
}

}  // namespace outpost::transport
