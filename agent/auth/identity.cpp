#include "agent/auth/identity.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <array>
#include <utility>

#include "agent/auth/base64url.hpp"
#include "agent/auth/private_file.hpp"
#include "agent/auth/sodium.hpp"
#include "agent/auth/uuid.hpp"

namespace outpost::auth {
namespace {

// identity.key: the 32-byte Ed25519 seed, base64url without padding (43
// characters), optionally followed by one newline.
constexpr std::size_t kKeyTextBytes = 43;
constexpr std::size_t kMaxKeyFileBytes = 4096;  // larger is clearly not ours
constexpr std::size_t kMaxNodeIdFileBytes = 256;

// Wipes a string's bytes when it goes out of scope.
class WipeOnExit {
  public:
    explicit WipeOnExit(std::string& text) : text_(text) {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { sodium_memzero(text_.data(), text_.size()); }

  private:
    std::string& text_;
};

std::string_view strip_one_newline(std::string_view text) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    return text;
}

Expected<SecretKey> parse_key_file(const std::filesystem::path& path, std::string_view text) {
    const auto damaged = [&](std::string_view why) {
        return fail(fmt::format(
            "{} is not a valid identity key ({}); expected one line holding the base64url "
            "Ed25519 seed ({} characters). Restore the file from a backup, or remove it to "
            "create a new identity (the node must then be registered again)",
            path.string(), why, kKeyTextBytes));
    };
    const std::string_view line = strip_one_newline(text);
    if (line.size() != kKeyTextBytes) {
        return damaged(fmt::format("{} bytes long", text.size()));
    }
    std::array<std::uint8_t, kEd25519SeedBytes> seed{};
    // 43 base64url characters always decode to exactly 32 bytes.
    if (auto decoded = base64url_decode_into(line, seed); !decoded) {
        sodium_memzero(seed.data(), seed.size());
        return damaged(decoded.error().message());
    }
    auto key = SecretKey::from_seed(seed);
    sodium_memzero(seed.data(), seed.size());
    return key;
}

Expected<SecretKey> create_key_file(const std::filesystem::path& path, bool& lost_race) {
    auto key = SecretKey::generate();
    if (!key) return key;
    std::string text = base64url_encode(key->seed()) + '\n';
    WipeOnExit wipe(text);
    auto created = create_file_atomically(path, text, 0600);
    if (!created) return std::unexpected(created.error().context("creating the identity key"));
    lost_race = !*created;
    return key;
}

Expected<SecretKey> load_or_create_key(const std::filesystem::path& path) {
    // Two attempts: if another process creates the file between our read and
    // our create, the second read picks up its key.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto text = read_small_file(path, kMaxKeyFileBytes, Secrecy::owner_only);
        if (!text) return std::unexpected(text.error().context("loading the identity key"));
        if (*text) {
            WipeOnExit wipe(**text);
            return parse_key_file(path, **text);
        }
        bool lost_race = false;
        auto key = create_key_file(path, lost_race);
        if (!key || !lost_race) return key;
    }
    return fail(fmt::format("{} keeps changing; is another agent using this state directory?",
                            path.string()));
}

Expected<std::string> load_or_create_node_id(const std::filesystem::path& path) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto text = read_small_file(path, kMaxNodeIdFileBytes, Secrecy::public_ok);
        if (!text) return std::unexpected(text.error().context("loading the node id"));
        if (*text) {
            const std::string_view id = strip_one_newline(**text);
            if (!is_uuid_v4(id)) {
                return fail(fmt::format(
                    "{} does not hold a lowercase UUID v4 node id; remove it to generate a new "
                    "one, or set node_id in the config",
                    path.string()));
            }
            return std::string(id);
        }
        std::string id = uuid_v4();
        auto created = create_file_atomically(path, id + '\n', 0600);
        if (!created) return std::unexpected(created.error().context("storing the node id"));
        if (*created) return id;
    }
    return fail(fmt::format("{} keeps changing; is another agent using this state directory?",
                            path.string()));
}

}  // namespace

bool is_valid_node_id(std::string_view node_id) {
    if (node_id.empty() || node_id.size() > 128) return false;
    for (const char c : node_id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string public_key_base64url(const PublicKey& public_key) {
    return base64url_encode(public_key);
}

Expected<Identity> load_or_create_identity(const std::filesystem::path& state_dir,
                                           std::optional<std::string> configured_node_id) {
    if (configured_node_id && !is_valid_node_id(*configured_node_id)) {
        return fail(fmt::format(
            "configured node_id \"{}\" is invalid: use 1-128 characters of A-Z a-z 0-9 . _ : -",
            *configured_node_id));
    }
    if (auto ready = init_sodium(); !ready) return std::unexpected(ready.error());
    if (auto dir = ensure_private_dir(state_dir); !dir) return std::unexpected(dir.error());

    auto key = load_or_create_key(state_dir / kIdentityKeyFile);
    if (!key) return std::unexpected(key.error());

    std::string node_id;
    if (configured_node_id) {
        node_id = std::move(*configured_node_id);
    } else {
        auto stored = load_or_create_node_id(state_dir / kNodeIdFile);
        if (!stored) return std::unexpected(stored.error());
        node_id = std::move(*stored);
    }
    const PublicKey public_key = key->public_key();
    return Identity{std::move(node_id), public_key, std::move(*key)};
}

}  // namespace outpost::auth
