// The safety net behind log::Redacted: even a careless call site cannot print
// a bearer token or a compact JWT/JWS.
#include <string>

#include "agent/log/log.hpp"

namespace outpost::log {
namespace {

bool is_b64url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool is_token_char(char c) {
    return is_b64url(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Length of a compact JWS/JWT ("eyJ…" "." segment "." segment) starting at pos, or 0.
size_t jwt_length_at(std::string_view s, size_t pos) {
    if (s.substr(pos, 3) != "eyJ") return 0;
    size_t i = pos;
    int dots = 0;
    while (i < s.size() && (is_b64url(s[i]) || s[i] == '.')) {
        if (s[i] == '.') ++dots;
        ++i;
    }
    return dots >= 2 ? i - pos : 0;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        char a = s[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (a != prefix[i]) return false;
    }
    return true;
}

}  // namespace

std::string scrub_secrets(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        if (size_t n = jwt_length_at(text, i); n > 0 && (i == 0 || !is_b64url(text[i - 1]))) {
            out += "[redacted-jwt]";
            i += n;
            continue;
        }
        if (starts_with_ci(text.substr(i), "bearer ")) {
            out.append(text.substr(i, 7));
            i += 7;
            size_t start = i;
            while (i < text.size() && is_token_char(text[i])) ++i;
            if (i > start) out += "[redacted]";
            continue;
        }
        out += text[i++];
    }
    return out;
}

}  // namespace outpost::log
