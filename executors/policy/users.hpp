#pragma once
// Resolves an entry's run_as user and group once, when the allow-list is
// built (getpwnam_r/getgrnam_r), so a run never looks names up: with NSS
// backed by LDAP or sssd a lookup can block, and runs start on the loop.

#include <sys/types.h>

#include <optional>
#include <string>

#include "agent/common/error.hpp"

namespace outpost::policy {

struct Identity {
    std::string user;
    std::string group;
    uid_t uid{};
    gid_t gid{};
    std::string home = "/";  // the user's home directory: HOME of its runs

    friend bool operator==(const Identity&, const Identity&) = default;
};

// `group` absent: the user's primary group. Unknown names are errors.
[[nodiscard]] Expected<Identity> resolve_identity(const std::string& user,
                                                  const std::optional<std::string>& group);

}  // namespace outpost::policy
