#include "seal.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>

#include "b64.hpp"

namespace outpost::hub::seal {
namespace {

// X25519 that refuses low-order points: libsodium returns -1 when the
// shared secret would be all zeros, which an attacker-chosen epk can force.
Expected<Key> x25519(const Key& private_key, const Key& public_key, std::string_view what) {
    Key out{};
    if (crypto_scalarmult(out.data(), private_key.data(), public_key.data()) != 0) {
        return fail(ErrorKind::invalid_input, std::string(what) + ": low-order public key");
    }
    return out;
}

}  // namespace

Key Schedule::agent_to_server() const {
    Key k{};
    std::memcpy(k.data(), okm.data(), k.size());
    return k;
}

Key Schedule::server_to_agent() const {
    Key k{};
    std::memcpy(k.data(), okm.data() + k.size(), k.size());
    return k;
}

Expected<Key> public_of(const Key& private_key) {
    Key out{};
    if (crypto_scalarmult_base(out.data(), private_key.data()) != 0) {
        return fail(ErrorKind::invalid_input, "X25519 private key gives no public key");
    }
    return out;
}

Expected<Key> x25519_from_ed25519(const Key& ed25519_public) {
    Key out{};
    if (crypto_sign_ed25519_pk_to_curve25519(out.data(), ed25519_public.data()) != 0) {
        return fail(ErrorKind::invalid_input, "the agent's Ed25519 key has no X25519 form");
    }
    return out;
}

Expected<Schedule> derive(const Key& s, const Key& S, const Key& A, const Key& E) {
    Schedule out;
    auto dh1 = x25519(s, E, "dh1 (hello.seal.epk)");
    if (!dh1) return std::unexpected(dh1.error());
    auto dh2 = x25519(s, A, "dh2 (the agent's key)");
    if (!dh2) return std::unexpected(dh2.error());
    out.dh1 = *dh1;
    out.dh2 = *dh2;

    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, out.okm.size());
    crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kLabel.data()), kLabel.size());
    for (const Key* part : std::initializer_list<const Key*>{&out.dh1, &out.dh2, &E, &A, &S}) {
        crypto_generichash_update(&st, part->data(), part->size());
    }
    crypto_generichash_final(&st, out.okm.data(), out.okm.size());
    sodium_memzero(&st, sizeof st);
    return out;
}

Nonce nonce_for(uint64_t n) {
    Nonce nonce{};  // 4 zero bytes, then n big-endian
    for (int i = 0; i < 8; ++i) {
        nonce[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(n >> (56 - 8 * i));
    }
    return nonce;
}

std::vector<uint8_t> encrypt(const Key& key, uint64_t n, std::string_view ad,
                             std::string_view plaintext) {
    const Nonce nonce = nonce_for(n);
    std::vector<uint8_t> out(plaintext.size() + crypto_aead_chacha20poly1305_ietf_ABYTES);
    unsigned long long len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(
        out.data(), &len, reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
        reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce.data(), key.data());
    out.resize(len);
    return out;
}

std::optional<std::string> decrypt(const Key& key, uint64_t n, std::string_view ad,
                                   std::span<const uint8_t> ciphertext) {
    if (ciphertext.size() < crypto_aead_chacha20poly1305_ietf_ABYTES) return std::nullopt;
    const Nonce nonce = nonce_for(n);
    std::string out(ciphertext.size() - crypto_aead_chacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(out.data()), &len,
                                                  nullptr, ciphertext.data(), ciphertext.size(),
                                                  reinterpret_cast<const uint8_t*>(ad.data()),
                                                  ad.size(), nonce.data(), key.data()) != 0) {
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

std::optional<std::vector<uint8_t>> b64url_decode_lenient(std::string_view text) {
    // At most two pad characters, and only where padding can be.
    size_t pad = 0;
    while (pad < 2 && !text.empty() && text.back() == '=') {
        text.remove_suffix(1);
        ++pad;
    }
    if (pad > 0 && (text.size() + pad) % 4 != 0) return std::nullopt;
    return b64url_decode(text);
}

std::optional<Key> key_from_b64url(std::string_view text) {
    auto bytes = b64url_decode_lenient(text);
    if (!bytes || bytes->size() != 32) return std::nullopt;
    Key k{};
    std::memcpy(k.data(), bytes->data(), k.size());
    return k;
}

Expected<Key> read_private_key_file(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) {
        return fail(ErrorKind::not_found, "cannot read seal key file " + path);
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    auto key = key_from_b64url(line);
    if (!key) return fail(ErrorKind::invalid_input, path + ": not 32 bytes of base64url");
    return *key;
}

Expected<void> write_private_key_file(const std::string& path, const Key& key) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail(ErrorKind::io, "cannot create " + tmp + ": " + std::strerror(errno));
    const std::string text = b64url_encode(key) + "\n";
    const bool ok = ::fchmod(fd, 0600) == 0 &&
                    ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return fail(ErrorKind::io,
                    "cannot write " + path + ": " + std::strerror(ok ? errno : saved));
    }
    return {};
}

}  // namespace outpost::hub::seal
