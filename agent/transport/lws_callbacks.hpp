#pragma once
// Internal: the lws protocol callbacks of this module, named here so the
// vhost tables (event_loop.cpp, client_vhost.cpp) can list them.

#include <libwebsockets.h>

namespace outpost::transport::detail {

int watch_set_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
int client_tls_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
int ws_connection_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
int https_post_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

inline constexpr const char* kFdProtocol = "outpost-fd";
inline constexpr const char* kWsProtocol = "outpost-ws";
inline constexpr const char* kHttpsProtocol = "outpost-https";

}  // namespace outpost::transport::detail
