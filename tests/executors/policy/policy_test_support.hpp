#pragma once
// Helpers shared by the policy tests: allow-lists built from YAML through
// the real config loader, and scratch directories.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "executors/policy/allow_list.hpp"

namespace outpost::policy::test {

// Loads `commands` (YAML list items under executor.commands, indented by 4)
// with the config loader (which must accept it) and builds the allow-list.
[[nodiscard]] Expected<AllowList> build_yaml(std::string_view commands);

// Same, but the build must succeed.
[[nodiscard]] AllowList build_ok(std::string_view commands);

// The build error (the build must fail).
[[nodiscard]] std::string build_error(std::string_view commands);

// The build error of `commands` (which the loader must accept) after
// `patch` changed the loaded config: for what the loader itself refuses
// (a bad regex), to test that the build refuses it too.
[[nodiscard]] std::string build_error_patched(
    std::string_view commands, const std::function<void(config::ExecutorConfig&)>& patch);

[[nodiscard]] Request request(std::string command, std::vector<std::string> args = {});

// The refusal of a request that must be refused.
[[nodiscard]] PolicyRefusal refusal(const AllowList& list, const Request& req);

// A fresh directory, removed with everything in it at scope end.
class ScratchDir {
  public:
    // Created under `parent` (mkdtemp), mode 0755.
    explicit ScratchDir(const std::string& parent);
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Copies `from` to `to` with `mode`.
void copy_file(const std::string& from, const std::string& to, unsigned mode);

// True when `dir` and everything above it is root-owned and not group/other
// writable (then a trusted test tree can be built under it).
[[nodiscard]] bool trusted_parent(const std::string& dir);

}  // namespace outpost::policy::test
