#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/logs/file/line_assembler.hpp"

using outpost::logs::LogRecord;
using outpost::logs::TimePoint;
using outpost::logs::file::LineAssembler;
using outpost::logs::file::make_record;
using outpost::logs::file::ReadBudget;

namespace {

ReadBudget unlimited() {
    return ReadBudget{SIZE_MAX, SIZE_MAX};
}

std::vector<std::string> texts(const std::vector<LogRecord>& records) {
    std::vector<std::string> out;
    for (const auto& record : records) out.push_back(record.text);
    return out;
}

}  // namespace

TEST_CASE("line assembler: lines split anywhere between chunks come out whole") {
    const std::string input = "first\nsecond line\n\nfourth\r\nfifth";
    for (std::size_t split = 0; split <= input.size(); ++split) {
        LineAssembler assembler(100);
        std::vector<LogRecord> out;
        auto budget = unlimited();
        CHECK(assembler.feed(input.substr(0, split), out, budget, TimePoint{}) == split);
        CHECK(assembler.feed(input.substr(split), out, budget, TimePoint{}) ==
              input.size() - split);
        CHECK(texts(out) == std::vector<std::string>{"first", "second line", "", "fourth"});
        REQUIRE(assembler.holding());
        CHECK(assembler.held_bytes() == 5);
        const auto partial = assembler.take_partial(TimePoint{});
        CHECK(partial.text == "fifth");
        CHECK(partial.partial);
        CHECK_FALSE(assembler.holding());
    }
}

TEST_CASE("line assembler: CRLF loses its CR, a lone CR stays") {
    LineAssembler assembler(100);
    std::vector<LogRecord> out;
    auto budget = unlimited();
    (void)assembler.feed("a\r", out, budget, TimePoint{});
    (void)assembler.feed("\nb\rc\n\r", out, budget, TimePoint{});
    (void)assembler.feed("d\n\r", out, budget, TimePoint{});
    CHECK(texts(out) == std::vector<std::string>{"a", "b\rc", "\rd"});
    REQUIRE(assembler.holding());
    CHECK(assembler.take_partial(TimePoint{}).text == "\r");
}

TEST_CASE("line assembler: ill-formed UTF-8 becomes U+FFFD") {
    LineAssembler assembler(100);
    std::vector<LogRecord> out;
    auto budget = unlimited();
    using namespace std::string_literals;
    (void)assembler.feed("ok \xC3\xA9 \xFF\x00 \xE2\x82\n"s, out, budget, TimePoint{});
    REQUIRE(out.size() == 1);
    CHECK(out[0].text == "ok \xC3\xA9 \xEF\xBF\xBD\x00 \xEF\xBF\xBD"s);
    CHECK(out[0].cut_bytes == 0);
}

TEST_CASE("line assembler: a line over the cap is cut at a code point and the rest counted") {
    // 8 bytes of 'a', then a 2-byte code point that would cross the cap of 9.
    const std::string line = std::string(8, 'a') + "\xC3\xA9" + std::string(90, 'b');
    LineAssembler assembler(9);
    std::vector<LogRecord> out;
    auto budget = unlimited();
    (void)assembler.feed(line + "\n", out, budget, TimePoint{});
    REQUIRE(out.size() == 1);
    CHECK(out[0].text == std::string(8, 'a'));
    CHECK(out[0].cut_bytes == line.size() - 8);
}

TEST_CASE("line assembler: a code point ending exactly at the cap is kept whole") {
    const auto record = make_record(std::string(6, 'x') +
                                        "\xF0\x9F\x98\x80"
                                        "yyy",
                                    13, 10, TimePoint{});
    CHECK(record.text == std::string(6, 'x') + "\xF0\x9F\x98\x80");
    CHECK(record.cut_bytes == 3);
}

TEST_CASE("line assembler: replacement characters count against the cap") {
    // Each 0xFF is one byte in, three bytes out.
    const auto record = make_record(std::string(5, '\xFF'), 5, 10, TimePoint{});
    CHECK(record.text == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(record.cut_bytes == 2);
}

TEST_CASE("line assembler: a huge line without a newline keeps only the cap") {
    LineAssembler assembler(256);
    std::vector<LogRecord> out;
    auto budget = unlimited();
    const std::string chunk(1 << 20, 'z');
    for (int i = 0; i < 64; ++i) (void)assembler.feed(chunk, out, budget, TimePoint{});
    CHECK(out.empty());
    CHECK(assembler.held_bytes() == 64ull << 20);
    const auto record = assembler.take_partial(TimePoint{});
    CHECK(record.text == std::string(256, 'z'));
    CHECK(record.cut_bytes == (64ull << 20) - 256);
    CHECK(record.partial);
}

TEST_CASE("line assembler: the budget stops the feed after the line that reaches it") {
    LineAssembler assembler(100);
    std::vector<LogRecord> out;
    ReadBudget by_count{2, SIZE_MAX};
    const std::string input = "one\ntwo\nthree\n";
    CHECK(assembler.feed(input, out, by_count, TimePoint{}) == 8);
    CHECK(texts(out) == std::vector<std::string>{"one", "two"});
    CHECK_FALSE(assembler.holding());

    out.clear();
    ReadBudget by_bytes{SIZE_MAX, 4};
    CHECK(assembler.feed(input, out, by_bytes, TimePoint{}) == 8);
    CHECK(texts(out) == std::vector<std::string>{"one", "two"});
}
