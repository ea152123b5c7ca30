#include "agent/status/socket_access.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace outpost::status {
namespace {

// Supplementary groups a peer may have; more than this is read as "not a
// member" only for groups past the limit, which SO_PEERGROUPS reports.
constexpr std::size_t kMaxPeerGroups = 256;

std::string group_name_of(gid_t gid) {
    std::array<char, 4096> buffer{};
    group entry{};
    group* found = nullptr;
    if (::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
        return found->gr_name;
    }
    return std::to_string(gid);
}

// Whether the peer of `fd` has `gid` among its supplementary groups.
bool peer_in_group(int fd, gid_t gid) {
    std::vector<gid_t> groups(kMaxPeerGroups);
    socklen_t size = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &size) != 0) return false;
    groups.resize(size / sizeof(gid_t));
    for (gid_t g : groups) {
        if (g == gid) return true;
    }
    return false;
}

}  // namespace

SocketAccess socket_access(std::string_view preferred_group) {
    std::array<char, 4096> buffer{};
    group entry{};
    group* found = nullptr;
    const std::string name(preferred_group);
    if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
        found != nullptr) {
        return SocketAccess{.group = found->gr_gid, .group_name = name};
    }
    const gid_t own = ::getegid();
    return SocketAccess{.group = own, .group_name = group_name_of(own)};
}

Expected<void> give_to_group(const std::filesystem::path& path, const SocketAccess& access) {
    if (access.group == ::getegid()) return {};  // bind() made it ours already
    if (::fchownat(AT_FDCWD, path.c_str(), static_cast<uid_t>(-1), access.group,
                   AT_SYMLINK_NOFOLLOW) != 0) {
        return fail(ErrorKind::permission,
                    fmt::format("status.socket {}: cannot give it to group {}: {}", path.native(),
                                access.group_name, std::strerror(errno)));
    }
    return {};
}

std::string refused_peer(int fd, const SocketAccess& access) {
    ucred peer{};
    socklen_t size = sizeof(peer);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
        return fmt::format("cannot tell who the peer is (SO_PEERCRED: {})", std::strerror(errno));
    }
    if (peer.uid == 0 || peer.uid == ::geteuid()) return {};
    if (peer.gid == access.group || peer_in_group(fd, access.group)) return {};
    return fmt::format(
        "uid {} (pid {}) is not root, the agent's user or a member of group {}: run `outpost "
        "status` as root or as a member of group {}",
        peer.uid, peer.pid, access.group_name, access.group_name);
}

}  // namespace outpost::status
