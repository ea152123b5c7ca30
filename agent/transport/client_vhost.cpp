#include "agent/transport/client_vhost.hpp"

#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/lws_callbacks.hpp"
#include "agent/transport/spki_pin.hpp"

namespace outpost::transport {
namespace {

// protocols[0] receives LOAD_EXTRA_CLIENT_VERIFY_CERTS for the vhost's
// SSL_CTX; connections bind to the others by name (local_protocol_name).
const lws_protocols kClientProtocols[] = {
    {"outpost-client-tls", detail::client_tls_callback, 0, 0, 0, nullptr, 0},
    {detail::kWsProtocol, detail::ws_connection_callback, 0, 64 * 1024, 0, nullptr, 0},
    {detail::kHttpsProtocol, detail::https_post_callback, 0, 16 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown error";
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
}

// The vhost name doubles as the cache key: a digest of everything lws keeps
// per vhost (file paths, proxy). The proxy may carry credentials, hence a hash.
std::string vhost_name(const TlsSettings& tls, const std::optional<ProxyAddress>& proxy) {
    std::string key;
    const auto add = [&key](const std::optional<std::string>& s) {
        key += s ? "1" + *s : "0";
        key += '\n';
    };
    add(tls.ca_file);
    add(tls.client_cert);
    add(tls.client_key);
    add(proxy ? std::optional(proxy->lws_form()) : std::nullopt);
    const auto digest = spki_sha256({reinterpret_cast<const uint8_t*>(key.data()), key.size()});
    std::string name = "outpost-client-";
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < 8; ++i) {
        name += kHex[digest[i] >> 4];
        name += kHex[digest[i] & 15];
    }
    return name;
}

}  // namespace

Expected<void> check_tls_files(const TlsSettings& tls) {
    if (tls.client_cert.has_value() != tls.client_key.has_value())
        return fail("client certificate and key must be given together");
    const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                                &SSL_CTX_free);
    if (!ctx) return fail("SSL_CTX_new: " + openssl_error());
    if (tls.ca_file) {
        X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
        if (SSL_CTX_load_verify_file(ctx.get(), tls.ca_file->c_str()) != 1)
            return fail("CA file " + *tls.ca_file + ": " + openssl_error());
        const auto* objects = X509_STORE_get0_objects(store);
        if (objects == nullptr || sk_X509_OBJECT_num(objects) == 0)
            return fail("CA file " + *tls.ca_file + " holds no certificate");
    }
    if (tls.client_cert) {
        if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.client_cert->c_str()) != 1)
            return fail("client certificate " + *tls.client_cert + ": " + openssl_error());
        if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.client_key->c_str(), SSL_FILETYPE_PEM) != 1)
            return fail("client key " + *tls.client_key + ": " + openssl_error());
        if (SSL_CTX_check_private_key(ctx.get()) != 1)
            return fail("client key does not match the client certificate");
    }
    ERR_clear_error();
    return {};
}

Expected<lws_vhost*> client_vhost(EventLoop& loop, const TlsSettings& tls,
                                  const std::optional<ProxyAddress>& proxy) {
    std::string name = vhost_name(tls, proxy);
    if (lws_vhost* existing = loop.find_vhost(name)) return existing;

    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kClientProtocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (tls.ca_file) {
        // lws *adds* client_ssl_ca_filepath to the OS store unless told not to.
        info.options |= LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
        info.client_ssl_ca_filepath = tls.ca_file->c_str();
    }
    if (tls.client_cert) {
        info.client_ssl_cert_filepath = tls.client_cert->c_str();
        info.client_ssl_private_key_filepath = tls.client_key->c_str();
    }
    // Without an address lws falls back to getenv("http_proxy"); port 0
    // means "no proxy" to lws, so ":0" pins this vhost to direct connections.
    const std::string proxy_text = proxy ? proxy->lws_form() : ":0";
    info.http_proxy_address = proxy_text.c_str();
    auto vhost = loop.add_vhost(std::move(name), info);
    if (!vhost) return std::unexpected(vhost.error().context("creating the client vhost"));
    return *vhost;
}

namespace detail {

int client_tls_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS: {
            // lws has no field for a minimum version (protocol.md §1: TLS 1.2+).
            auto* ctx = static_cast<SSL_CTX*>(user);
            return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 ? 0 : 1;
        }
        case LWS_CALLBACK_WSI_DESTROY: {
            // lws 4.1 sends WSI_DESTROY to protocols[0], not to the wsi's own
            // protocol. Some failures (e.g. APPEND_HANDSHAKE_HEADER returning
            // -1) produce neither CONNECTION_ERROR nor CLOSED, so forward it:
            // it is the owner's last chance to learn the wsi is gone.
            const lws_protocols* own = lws_get_protocol(wsi);
            if (own != nullptr && own->callback != nullptr && own->callback != client_tls_callback)
                return own->callback(wsi, reason, user, in, len);
            return 0;
        }
        default:
            return 0;
    }
}

}  // namespace detail
}  // namespace outpost::transport
