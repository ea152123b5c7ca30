#include "executors/policy/users.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
// the entry, nullptr (no such name) or an error.
template <class Entry, class Lookup>
Expected<std::optional<Entry>> lookup(const std::string& name, int size_name, Lookup call) {
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
            return std::optional<Entry>();
        }
        return std::optional<Entry>(entry);  // only the ids are used after return
    }
}

}  // namespace

Expected<Identity> resolve_identity(const std::string& user,
                                    const std::optional<std::string>& group) {
    auto pw = lookup<passwd>(user, _SC_GETPW_R_SIZE_MAX, ::getpwnam_r);
    if (!pw) {
        return std::unexpected(pw.error());
    }
    if (!*pw) {
        return fail(fmt::format("no such user `{}`", user));
    }
    Identity id{user, "", (*pw)->pw_uid, (*pw)->pw_gid};
    if (!group) {
        id.group = fmt::format("{}", id.gid);
        return id;
    }
    auto gr = lookup<struct group>(*group, _SC_GETGR_R_SIZE_MAX, ::getgrnam_r);
    if (!gr) {
        return std::unexpected(gr.error());
    }
    if (!*gr) {
        return fail(fmt::format("no such group `{}`", *group));
    }
    id.group = *group;
    id.gid = (*gr)->gr_gid;
    return id;
}

}  // namespace outpost::policy
