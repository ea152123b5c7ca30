#pragma once
// Reading an lws HTTP request (headers, the bearer token, the path) and the
// small plain-text replies: what the upgrade check and the HTTP endpoints
// (server.cpp, server_http.cpp) share.

#include <libwebsockets.h>

#include <string>
#include <string_view>

#include "http_reply.hpp"

namespace outpost::hub {

inline constexpr std::string_view kAgentPath = "/v1/agent";
inline constexpr std::string_view kTokenPath = "/v1/token";
inline constexpr std::string_view kPollPath = "/v1/poll";

// A standard header's value ("" when absent).
[[nodiscard]] std::string header(lws* wsi, lws_token_indexes token);
// A custom header's value; lws stores their names lower-cased with the colon.
[[nodiscard]] std::string custom_header(lws* wsi, std::string_view name_with_colon);
// The token of `Authorization: Bearer <token>` ("" for any other scheme).
[[nodiscard]] std::string bearer_token(std::string_view authorization);
// Whether a comma-separated header list names `wanted`.
[[nodiscard]] bool offers(std::string_view list, std::string_view wanted);
// The URI without its query.
[[nodiscard]] std::string_view path_only(std::string_view uri);
// A text/plain reply with `body` and a newline.
[[nodiscard]] HttpReply text_reply(int status, std::string body);

}  // namespace outpost::hub
