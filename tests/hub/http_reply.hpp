#pragma once
// An HTTP response the hub sends instead of a 101 or from the token endpoint.

#include <string>
#include <utility>
#include <vector>

struct lws;

namespace outpost::hub {

struct HttpReply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names with trailing ':'
};

// Writes status line, headers and body in one HTTP/1.1 write. Returns false
// when lws could not take it all (the caller then hangs up).
[[nodiscard]] bool write_http_reply(lws* wsi, const HttpReply& reply);

}  // namespace outpost::hub
