#include "agent/auth/jws.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "agent/auth/base64url.hpp"
#include "agent/auth/sodium.hpp"
#include "agent/common/json/json_reader.hpp"

namespace outpost::auth {
namespace {

// Far more than any header we accept needs; bounds the work on hostile input.
constexpr std::size_t kMaxHeaderBytes = 4096;

std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Expected<void> check_header(std::span<const std::uint8_t> header) {
    const auto document = json::Document::parse(
        std::string_view(reinterpret_cast<const char*>(header.data()), header.size()));
    const auto object = document ? document->root().object() : std::nullopt;
    if (!object) return fail("JWS header is not a JSON object");
    std::vector<std::string_view> names;
    std::string_view alg;
    bool has_alg = false;
    for (const auto field : *object) {
        if (std::find(names.begin(), names.end(), field.key) != names.end()) {
            return fail(fmt::format("JWS header has a duplicate \"{}\"", field.key));
        }
        names.push_back(field.key);
        if (field.key == "crit") {
            return fail("JWS header has \"crit\": no extensions are supported");
        }
        if (field.key == "alg") {
            const auto text = field.value.string();
            if (!text) return fail("JWS header \"alg\" is not a string");
            alg = *text;
            has_alg = true;
        }
    }
    if (!has_alg) return fail("JWS header has no \"alg\"");
    if (alg != "EdDSA") {
        return fail(fmt::format("JWS algorithm \"{}\" is not accepted (only EdDSA)", alg));
    }
    return {};
}

}  // namespace

std::string sign_compact_jws(std::string_view header_json, std::span<const std::uint8_t> payload,
                             const SecretKey& key) {
    std::string compact = base64url_encode(header_json);
    compact += '.';
    compact += base64url_encode(payload);
    const Signature signature = key.sign(as_bytes(compact));
    compact += '.';
    compact += base64url_encode(signature);
    return compact;
}

std::string sign_compact_jws(std::string_view header_json, std::string_view payload,
                             const SecretKey& key) {
    return sign_compact_jws(header_json, as_bytes(payload), key);
}

Expected<std::vector<std::uint8_t>> verify_compact_jws(std::string_view compact,
                                                       const PublicKey& public_key) {
    if (auto ready = init_sodium(); !ready) return std::unexpected(ready.error());
    const std::size_t first = compact.find('.');
    const std::size_t second =
        first == std::string_view::npos ? first : compact.find('.', first + 1);
    if (second == std::string_view::npos ||
        compact.find('.', second + 1) != std::string_view::npos) {
        return fail("a compact JWS has exactly three parts separated by '.'");
    }
    const std::string_view header_text = compact.substr(0, first);
    const std::string_view payload_text = compact.substr(first + 1, second - first - 1);
    const std::string_view signature_text = compact.substr(second + 1);

    if (header_text.empty() || header_text.size() > kMaxHeaderBytes) {
        return fail("JWS header is empty or too long");
    }
    auto header = base64url_decode(header_text);
    if (!header) return std::unexpected(header.error().context("JWS header"));
    if (auto ok = check_header(*header); !ok) return std::unexpected(ok.error());

    std::array<std::uint8_t, kEd25519SignatureBytes> signature{};
    auto signature_size = base64url_decode_into(signature_text, signature);
    if (!signature_size) return std::unexpected(signature_size.error().context("JWS signature"));
    if (*signature_size != signature.size()) {
        return fail(
            fmt::format("JWS signature is {} bytes; Ed25519 signatures are 64", *signature_size));
    }
    auto payload = base64url_decode(payload_text);
    if (!payload) return std::unexpected(payload.error().context("JWS payload"));

    const std::string_view signing_input = compact.substr(0, second);
    if (crypto_sign_ed25519_verify_detached(signature.data(), as_bytes(signing_input).data(),
                                            signing_input.size(), public_key.data()) != 0) {
        return fail("JWS signature does not verify with the expected key");
    }
    return payload;
}

Expected<PublicKey> parse_public_key_base64url(std::string_view text) {
    PublicKey key{};
    auto size = base64url_decode_into(text, key);
    if (!size) return std::unexpected(size.error().context("Ed25519 public key"));
    if (*size != key.size()) {
        return fail(fmt::format("Ed25519 public key is {} bytes; expected 32", *size));
    }
    return key;
}

}  // namespace outpost::auth
