#include "agent/transport/peer_pins.hpp"

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "agent/transport/spki_pin.hpp"

namespace outpost::transport {

namespace {

std::optional<SpkiPin> key_pin(X509* cert) {
    unsigned char* der = nullptr;
    const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (len <= 0) return std::nullopt;
    const SpkiPin pin = spki_sha256({der, static_cast<size_t>(len)});
    OPENSSL_free(der);
    return pin;
}

}  // namespace

std::optional<std::string> peer_pin_failure(lws* wsi, const std::vector<SpkiPin>& pins) {
    if (pins.empty()) return std::nullopt;
    SSL* ssl = lws_get_ssl(wsi);
    if (ssl == nullptr) return "pin mismatch: no TLS session to check the pins against";
    // The chain OpenSSL built and verified (leaf first). A resumed session
    // verifies nothing and has none: then only the server's own key, which
    // the session keeps, can be compared.
    STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
    if (chain == nullptr || sk_X509_num(chain) == 0) {
        // The leaf the session keeps, then the chain the server sent, if any.
        X509* leaf = SSL_get0_peer_certificate(ssl);
        const auto pin = leaf != nullptr ? key_pin(leaf) : std::nullopt;
        if (!pin) return "pin mismatch: cannot read the server's public key";
        if (pin_matches(*pin, pins)) return std::nullopt;
        if (STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl)) {
            for (int i = 0; i < sk_X509_num(sent); ++i) {
                const auto other = key_pin(sk_X509_value(sent, i));
                if (other && pin_matches(*other, pins)) return std::nullopt;
            }
        }
        return "pin mismatch: server key " + format_pin(*pin) +
               " matches no configured pin_sha256 (resumed session: no verified chain)";
    }
    std::string leaf = "unreadable";
    for (int i = 0; i < sk_X509_num(chain); ++i) {
        const auto pin = key_pin(sk_X509_value(chain, i));
        if (!pin) continue;
        if (i == 0) leaf = format_pin(*pin);
        if (pin_matches(*pin, pins)) return std::nullopt;
    }
    return "pin mismatch: no key of the server's verified chain (its own: " + leaf +
           ") matches a configured pin_sha256";
}

}  // namespace outpost::transport
