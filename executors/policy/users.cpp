#include "executors/policy/users.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace outpost::policy {
namespace {

constexpr std::size_t kMaxBuffer = 1 << 20;

std::size_t initial_buffer(int name) {
    const long size = ::sysconf(name);
    return size > 0 ? static_cast<std::size_t>(size) : 16384;
}

// Calls a get*nam_r function, growing its buffer on ERANGE. The result is
// what `take` copies out of the entry (its strings live in the buffer), none
// (no such name) or an error.
template <class Entry, class Lookup, class Take>
auto lookup(const std::string& name, int size_name, Lookup call, Take take)
    -> Expected<std::optional<decltype(take(std::declval<const Entry&>()))>> {
    using Taken = decltype(take(std::declval<const Entry&>()));
    std::vector<char> buffer(initial_buffer(size_name));
    while (true) {
        Entry entry{};
        Entry* found = nullptr;
        const int rc = call(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE && buffer.size() < kMaxBuffer) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc != 0) {
            return fail(fmt::format("looking up `{}`: {}", name, std::strerror(rc)));
        }
        if (found == nullptr) {
            return std::optional<Taken>();
        }
        return std::optional<Taken>(take(entry));
    }
}

}  // namespace

Expected<Identity> resolve_identity(const std::string& user,
                                    const std::optional<std::string>& group) {
    auto pw = lookup<passwd>(user, _SC_GETPW_R_SIZE_MAX, ::getpwnam_r, [](const passwd& entry) {
        return Identity{"", "", entry.pw_uid, entry.pw_gid,
                        entry.pw_dir != nullptr && entry.pw_dir[0] == '/' ? entry.pw_dir : "/"};
    });
    if (!pw) {
        return std::unexpected(pw.error());
    }
    if (!*pw) {
        return fail(fmt::format("no such user `{}`", user));
    }
    Identity id = std::move(**pw);
    id.user = user;
    if (!group) {
        id.group = fmt::format("{}", id.gid);
        return id;
    }
    auto gr = lookup<struct group>(*group, _SC_GETGR_R_SIZE_MAX, ::getgrnam_r,
                                   [](const struct group& entry) { return entry.gr_gid; });
    if (!gr) {
        return std::unexpected(gr.error());
    }
    if (!*gr) {
        return fail(fmt::format("no such group `{}`", *group));
    }
    id.group = *group;
    id.gid = **gr;
    return id;
}

}  // namespace outpost::policy
