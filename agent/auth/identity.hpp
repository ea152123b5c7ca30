#pragma once
// The node's identity: its node_id and Ed25519 key pair (protocol.md §2),
// kept in the state directory. See docs/identity.md for the file formats.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/auth/secret_key.hpp"
#include "agent/common/error.hpp"

namespace outpost::auth {

inline constexpr std::string_view kIdentityKeyFile = "identity.key";
inline constexpr std::string_view kNodeIdFile = "node_id";

struct Identity {
    std::string node_id;
    PublicKey public_key;
    SecretKey secret_key;
};

// Loads the identity from `state_dir`, creating what is missing on first use:
// the directory (0700), the key (`identity.key`, 0600) and, unless
// `configured_node_id` is given, a UUID v4 node id (`node_id`, 0600). A key
// file with group/other permissions or of the wrong size/format is refused;
// it is never overwritten. A configured node id wins over the stored one and
// must satisfy is_valid_node_id().
[[nodiscard]] Expected<Identity> load_or_create_identity(
    const std::filesystem::path& state_dir, std::optional<std::string> configured_node_id);

// The public key as printed for registration: base64url without padding.
[[nodiscard]] std::string public_key_base64url(const PublicKey& public_key);

// A node id is sent in an HTTP header and a JWT, so it is limited to 1-128
// characters of [A-Za-z0-9._:-] (a generated UUID always qualifies).
[[nodiscard]] bool is_valid_node_id(std::string_view node_id);

}  // namespace outpost::auth
