#pragma once
// Who may ask the agent over its status socket: root, the agent's own user,
// and the members of the socket's group, which is `outpost` when that group
// exists (the packages create it) and the agent's own group otherwise. The
// socket file is 0660 owner:group, so the kernel already refuses everyone
// else at connect(); the server checks each peer's credentials
// (SO_PEERCRED, SO_PEERGROUPS) as well, because the file's mode and group
// are not the agent's to keep: an operator's chmod, or a directory shared
// with another service, must not open the agent's state to any local user.
// A refused peer gets one line saying why (kRefusedPrefix), and the agent
// logs it.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::status {

// The group the packages create for operators allowed to run `outpost status`.
inline constexpr std::string_view kOperatorGroup = "outpost";
// What a refused peer reads instead of an answer.
inline constexpr std::string_view kRefusedPrefix = "outpost.status.refused: ";

struct SocketAccess {
    gid_t group = 0;
    std::string group_name;  // for messages: `outpost`, or the agent's group's name or number
};

// `outpost` when it exists, else the agent's effective group.
[[nodiscard]] SocketAccess socket_access(std::string_view preferred_group = kOperatorGroup);

// Gives the socket file just bound at `path` to `access.group` (without
// following a link); the caller bound it with mode 0660.
[[nodiscard]] Expected<void> give_to_group(const std::filesystem::path& path,
                                           const SocketAccess& access);

// Empty when the peer of the connected socket `fd` may be answered; else
// who it is and why not, for the log and the refusal line.
[[nodiscard]] std::string refused_peer(int fd, const SocketAccess& access);

}  // namespace outpost::status
