#include "b64.hpp"

#include <sodium.h>

namespace outpost::hub {
namespace {

std::string encode(std::span<const uint8_t> bytes, int variant) {
    std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

}  // namespace

std::string b64url_encode(std::span<const uint8_t> bytes) {
    return encode(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string b64_encode(std::span<const uint8_t> bytes) {
    return encode(bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::optional<std::vector<uint8_t>> b64url_decode(std::string_view text) {
    std::vector<uint8_t> out(text.size() * 3 / 4 + 3);
    size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != text.data() + text.size()) {
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

std::string random_b64url(size_t bytes) {
    std::vector<uint8_t> buf(bytes);
    randombytes_buf(buf.data(), buf.size());
    return b64url_encode(buf);
}

}  // namespace outpost::hub
