#pragma once
// POST /v1/token (protocol.md §2, exchange mode): a JWT-bearer assertion in,
// an opaque access token out. Tests can script failures.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth.hpp"
#include "http_reply.hpp"

namespace outpost::hub {

struct TokenOutcome {
    HttpReply reply;
    std::string agent_id;  // from the assertion, when it could be read
    std::string reason;    // why it failed, or "scripted"
    int64_t ttl = 0;       // on success
};

class TokenEndpoint {
  public:
    TokenEndpoint(Authenticator& auth, int64_t ttl_s) : auth_(auth), ttl_s_(ttl_s) {}

    [[nodiscard]] TokenOutcome handle(std::string_view body, std::string_view agent_id_header,
                                      int64_t now);

    void set_ttl(int64_t ttl_s) { ttl_s_ = ttl_s; }
    // The next `count` requests get `status` and `body`, whatever they carry.
    void script_failure(int status, int count, std::string body);
    void clear_script() { script_.reset(); }

  private:
    struct Script {
        int status = 500;
        int remaining = 0;
        std::string body;
    };
    Authenticator& auth_;
    int64_t ttl_s_;
    std::optional<Script> script_;
};

}  // namespace outpost::hub
