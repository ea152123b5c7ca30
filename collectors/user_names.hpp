#pragma once
// uid → user name through getpwuid_r (NSS: /etc/passwd, LDAP, …), cached:
// the top lists ask for the same few uids every sample, and an NSS lookup
// can take milliseconds. Used on the collection thread only.

#include <cstdint>
#include <string>
#include <unordered_map>

namespace outpost::collectors {

class UserNames {
  public:
    // The name, or the number as text when the uid has none.
    [[nodiscard]] const std::string& name_of(std::uint32_t uid);

  private:
    static constexpr std::size_t kMaxCached = 4096;
    std::unordered_map<std::uint32_t, std::string> names_;
};

}  // namespace outpost::collectors
