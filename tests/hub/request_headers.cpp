#include "request_headers.hpp"

#include <cctype>

namespace outpost::hub {

std::string header(lws* wsi, lws_token_indexes token) {
    const int len = lws_hdr_total_length(wsi, token);
    if (len <= 0) return {};
    std::string out(static_cast<size_t>(len) + 1, '\0');
    const int n = lws_hdr_copy(wsi, out.data(), len + 1, token);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

std::string custom_header(lws* wsi, std::string_view name_with_colon) {
    const int nlen = static_cast<int>(name_with_colon.size());
    const int len = lws_hdr_custom_length(wsi, name_with_colon.data(), nlen);
    if (len <= 0) return {};
    std::string out(static_cast<size_t>(len) + 1, '\0');
    const int n = lws_hdr_custom_copy(wsi, out.data(), len + 1, name_with_colon.data(), nlen);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

std::string bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer ";
    if (authorization.size() <= kScheme.size()) return {};
    for (size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return {};
    }
    auto token = authorization.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    return std::string(token);
}

bool offers(std::string_view list, std::string_view wanted) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == wanted) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string_view path_only(std::string_view uri) {
    return uri.substr(0, uri.find('?'));
}

HttpReply text_reply(int status, std::string body) {
    return HttpReply{.status = status,
                     .content_type = "text/plain",
                     .body = std::move(body) + "\n",
                     .headers = {}};
}

}  // namespace outpost::hub
