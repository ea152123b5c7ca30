#include "agent/seal/envelope.hpp"

#include <sodium.h>

#include <limits>

#include <fmt/format.h>

#include "agent/auth/base64url.hpp"
#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"

namespace outpost::seal {
namespace {

static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kNonceBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kTagBytes);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kX25519Bytes);

// The envelope around `c` with every variable part at its longest: a UUID
// id (36), an RFC 3339 ts with milliseconds (24), n of 20 digits.
constexpr std::string_view kLongestId = "00000000-0000-4000-8000-000000000000";
constexpr std::string_view kLongestTs = "2026-12-07T00:00:00.000Z";

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// §8: a receiver accepts base64url with or without padding; our decoder is
// strict (no '='), so padding that completes a 4-character group goes first.
std::string_view without_padding(std::string_view text) {
    if (text.size() % 4 != 0) return text;
    for (int i = 0; i < 2 && !text.empty() && text.back() == '='; ++i) text.remove_suffix(1);
    return text;
}

}  // namespace

std::array<std::uint8_t, kNonceBytes> nonce_for(std::uint64_t n) {
    std::array<std::uint8_t, kNonceBytes> nonce{};
    for (std::size_t i = 0; i < 8; ++i) {
        nonce[kNonceBytes - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    }
    return nonce;
}

std::vector<std::uint8_t> encrypt(const SecretKey32& key, std::uint64_t n,
                                  std::string_view outer_id, std::string_view inner) {
    std::vector<std::uint8_t> out(inner.size() + kTagBytes);
    const auto nonce = nonce_for(n);
    unsigned long long written = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, bytes_of(inner), inner.size(),
                                              bytes_of(outer_id), outer_id.size(), nullptr,
                                              nonce.data(), key.data());
    out.resize(written);
    return out;
}

Expected<std::string> decrypt(const SecretKey32& key, std::uint64_t n, std::string_view outer_id,
                              std::span<const std::uint8_t> ciphertext) {
    if (ciphertext.size() < kTagBytes) {
        return std::unexpected(Error(ErrorKind::invalid_input, "shorter than its tag"));
    }
    std::string inner(ciphertext.size() - kTagBytes, '\0');
    const auto nonce = nonce_for(n);
    unsigned long long written = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(inner.data()),
                                                  &written, nullptr, ciphertext.data(),
                                                  ciphertext.size(), bytes_of(outer_id),
                                                  outer_id.size(), nonce.data(), key.data()) != 0) {
        return std::unexpected(Error(ErrorKind::invalid_input, "authentication failed"));
    }
    inner.resize(written);
    return inner;
}

std::string encode_outer(std::string_view id, std::string_view ts, std::uint64_t n,
                         std::string_view c) {
    json::JsonWriter out;
    out.reserve(c.size() + 128);
    out.begin_object().member("type", kSealedType).member("id", id).member("ts", ts);
    out.key("data").begin_object().member("n", n).member("c", c).end_object();
    out.end_object();
    return std::move(out).take();
}

Outer read_outer(std::string_view text) {
    Outer outer;
    auto document = json::Document::parse(text);
    if (!document) return outer;
    auto root = document->root().object();
    if (!root) return outer;
    auto type = root->find("type");
    if (!type || !type->string()) return outer;
    outer.type = std::string(*type->string());
    if (outer.type != kSealedType) return outer;

    auto id = root->find("id");
    auto data = root->find("data");
    std::optional<json::Object> body;
    if (data) body = data->object();
    if (!id || !id->string()) {
        outer.problem = "no string `id`";
        return outer;
    }
    outer.id = std::string(*id->string());
    if (!body) {
        outer.problem = "no object `data`";
        return outer;
    }
    auto n = body->find("n");
    if (n) outer.n = n->uint64();
    if (!outer.n) {
        outer.problem = "`data.n` is not an unsigned integer";
        return outer;
    }
    auto c = body->find("c");
    if (!c || !c->string()) {
        outer.problem = "no string `data.c`";
        return outer;
    }
    auto decoded = auth::base64url_decode(without_padding(*c->string()));
    if (!decoded) {
        outer.problem = "`data.c` is not base64url";
        return outer;
    }
    outer.c = std::move(*decoded);
    return outer;
}

std::size_t max_inner_bytes(std::size_t max_outer_bytes) {
    const std::string envelope =
        encode_outer(kLongestId, kLongestTs, std::numeric_limits<std::uint64_t>::max(), "");
    if (max_outer_bytes <= envelope.size()) return 0;
    // Unpadded base64url of x bytes takes ceil(4x / 3) characters.
    const std::size_t ciphertext = (max_outer_bytes - envelope.size()) * 3 / 4;
    return ciphertext > kTagBytes ? ciphertext - kTagBytes : 0;
}

}  // namespace outpost::seal
