// printable(): what text from outside looks like once it is safe to show.

#include <catch2/catch.hpp>

#include <string>

#include "agent/common/printable.hpp"

using outpost::printable;

TEST_CASE("printable text passes unchanged", "[common][printable]") {
    CHECK(printable("plain ascii, tabs\tand UTF-8: h\xc3\xa9llo \xe2\x82\xac") ==
          "plain ascii, tabs\tand UTF-8: h\xc3\xa9llo \xe2\x82\xac");
    CHECK(printable("") == "");
}

TEST_CASE("terminal controls and ill-formed UTF-8 are written out", "[common][printable]") {
    CHECK(printable("\x1b[2J") == "\\x1b[2J");
    CHECK(printable("a\nb\rc\x7f") == "a\\x0ab\\x0dc\\x7f");
    CHECK(printable("\xc2\x9b"
                    "31m") == "\\u009b31m");  // C1 CSI, well-formed
    CHECK(printable("\x9b"
                    "31m") == "\\x9b31m");  // a bare 8-bit CSI byte
    CHECK(printable("\xe2\x80\xae"
                    "evil") == "\\u202eevil");           // right-to-left override
    CHECK(printable("\xe2\x81\xa6") == "\\u2066");       // left-to-right isolate
    CHECK(printable("end\xe2\x82") == "end\\xe2\\x82");  // truncated sequence
    CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");        // overlong '/'
}
