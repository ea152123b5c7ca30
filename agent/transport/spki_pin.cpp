#include "agent/transport/spki_pin.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

namespace outpost::transport {

Expected<SpkiPin> parse_pin(std::string_view base64) {
    std::string text(base64);
    std::ranges::replace(text, '-', '+');  // base64url → base64
    std::ranges::replace(text, '_', '/');
    while (text.size() % 4 != 0) text += '=';
    if (text.size() != 44 || text.substr(43) != "=" || text[42] == '=')
        return fail("SPKI pin must be base64 of 32 bytes (44 characters)");
    unsigned char out[33] = {};
    const int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    // EVP_DecodeBlock counts the padding as zero bytes: 44 chars → 33 bytes.
    if (n != 33) return fail("SPKI pin is not valid base64");
    SpkiPin pin{};
    std::copy_n(out, pin.size(), pin.begin());
    return pin;
}

std::string format_pin(const SpkiPin& pin) {
    unsigned char out[45] = {};
    const int n = EVP_EncodeBlock(out, pin.data(), static_cast<int>(pin.size()));
    return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

SpkiPin spki_sha256(std::span<const uint8_t> der_spki) {
    SpkiPin digest{};
    SHA256(der_spki.data(), der_spki.size(), digest.data());
    return digest;
}

bool pin_matches(const SpkiPin& actual, const std::vector<SpkiPin>& allowed) {
    return std::ranges::find(allowed, actual) != allowed.end();
}

}  // namespace outpost::transport
