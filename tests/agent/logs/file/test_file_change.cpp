#include <catch2/catch.hpp>

#include "agent/logs/file/file_change.hpp"

using outpost::logs::file::classify_change;
using outpost::logs::file::FileChange;
using outpost::logs::file::FileIdentity;

TEST_CASE("file change: each case from the two stats") {
    const FileIdentity open{1, 100};
    CHECK(classify_change(open, 50, 40, open) == FileChange::none);
    CHECK(classify_change(open, 40, 40, open) == FileChange::none);
    CHECK(classify_change(open, 10, 40, open) == FileChange::truncated);
    CHECK(classify_change(open, 10, 40, FileIdentity{1, 101}) == FileChange::replaced);
    CHECK(classify_change(open, 50, 40, FileIdentity{2, 100}) == FileChange::replaced);
    CHECK(classify_change(open, 50, 40, std::nullopt) == FileChange::gone);
}
