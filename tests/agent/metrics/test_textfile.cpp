// metrics.textfile: replaced atomically with mode 0644 whatever the umask,
// no temp file left behind, and a directory that cannot be written to is an
// error value, not a crash.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/metrics/textfile.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("metrics textfile: replaced whole, mode 0644, nothing left beside it", "[metrics]") {
    test_support::TempDir dir;
    const fs::path file = dir.path() / "outpost.prom";
    const mode_t old_mask = ::umask(077);
    auto first = metrics::write_textfile(file.string(), "a 1\n");
    auto second = metrics::write_textfile(file.string(), "a 2\n");
    ::umask(old_mask);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(read_all(file) == "a 2\n");
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    std::size_t entries = 0;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        (void)entry;
        ++entries;
    }
    CHECK(entries == 1);

    auto missing = metrics::write_textfile((dir.path() / "no" / "such.prom").string(), "x\n");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind() == ErrorKind::io);
}
