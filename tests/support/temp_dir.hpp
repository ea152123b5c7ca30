#pragma once
// A fresh directory under the system temp dir ($TMPDIR, else /tmp) for one
// test, removed with everything in it when the test is done. Set
// OUTPOST_KEEP_TEST_DIRS to keep it for a look after a failure (its path is
// printed then).

#include <filesystem>
#include <string>
#include <string_view>

namespace outpost::test_support {

class TempDir {
  public:
    // `prefix` names the directory (`outpost-<prefix>-XXXXXX`), so a
    // leftover says which tests made it. Throws std::runtime_error when no
    // directory can be made: a test cannot go on without one.
    explicit TempDir(std::string_view prefix = "test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    // `name` inside the directory (not created).
    [[nodiscard]] std::filesystem::path file(std::string_view name) const { return path_ / name; }
    // Writes `text` to `name` inside the directory (replacing it) and returns
    // its path. Throws std::runtime_error when the write fails.
    std::filesystem::path write(std::string_view name, std::string_view text) const;

  private:
    std::filesystem::path path_;
};

}  // namespace outpost::test_support
