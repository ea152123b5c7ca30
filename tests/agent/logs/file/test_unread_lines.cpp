#include <catch2/catch.hpp>

#include "agent/logs/file/unread_lines.hpp"

using outpost::logs::file::UnreadLines;

TEST_CASE("unread lines: scanned and not consumed is what a truncation loses") {
    UnreadLines unread;
    CHECK(unread.scan_from(100) == 100);
    unread.add_scanned(100, 200, 5);  // lines 1..5 seen past the position
    CHECK(unread.scan_from(100) == 200);
    unread.consumed(150, 2);  // the stream read two of them
    unread.add_scanned(150, 260, 3);
    CHECK(unread.take_lost() == 6);
    CHECK(unread.take_lost() == 0);
    CHECK(unread.scan_from(0) == 0);
}

TEST_CASE("unread lines: reading past the scan forgets the count") {
    UnreadLines unread;
    unread.add_scanned(0, 100, 4);
    unread.consumed(300, 9);
    CHECK(unread.scan_from(0) == 300);
    unread.add_scanned(400, 500, 2);  // the position moved past what was scanned
    CHECK(unread.take_lost() == 2);
}
