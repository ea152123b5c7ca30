#include "collectors/user_names.hpp"

#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {

const std::string& UserNames::name_of(std::uint32_t uid) {
    if (auto it = names_.find(uid); it != names_.end()) return it->second;
    // A host with more distinct owners than this churns the cache instead of
    // growing it without bound.
    if (names_.size() >= kMaxCached) names_.clear();
    std::string name = std::to_string(uid);
    std::vector<char> buffer(16384);
    struct passwd entry {};
    struct passwd* found = nullptr;
    if (::getpwuid_r(static_cast<uid_t>(uid), &entry, buffer.data(), buffer.size(), &found) == 0 &&
        found != nullptr && found->pw_name != nullptr && found->pw_name[0] != '\0') {
        name = printable_ascii(found->pw_name);
    }
    return names_.emplace(uid, std::move(name)).first->second;
}

}  // namespace outpost::collectors
