#include "http_reply.hpp"

#include <libwebsockets.h>

#include <cstring>

namespace outpost::hub {

bool write_http_reply(lws* wsi, const HttpReply& reply) {
    std::vector<unsigned char> buf(LWS_PRE + 2048 + reply.body.size());
    unsigned char* start = buf.data() + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buf.data() + buf.size() - reply.body.size();
    const auto* type = reinterpret_cast<const unsigned char*>(reply.content_type.c_str());
    if (lws_add_http_header_status(wsi, static_cast<unsigned>(reply.status), &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, type,
                                     static_cast<int>(reply.content_type.size()), &p, end) ||
        lws_add_http_header_content_length(wsi, reply.body.size(), &p, end)) {
        return false;
    }
    for (const auto& [name, value] : reply.headers) {
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.c_str()),
                                        static_cast<int>(value.size()), &p, end)) {
            return false;
        }
    }
    if (lws_finalize_http_header(wsi, &p, end)) return false;
    std::memcpy(p, reply.body.data(), reply.body.size());
    p += reply.body.size();
    const auto len = static_cast<size_t>(p - start);
    return lws_write(wsi, start, len, LWS_WRITE_HTTP) == static_cast<int>(len);
}

}  // namespace outpost::hub
