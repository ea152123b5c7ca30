// The JSON reader: typed views and keep-the-first-error reading.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/common/json/json_reader.hpp"

using namespace outpost::json;

namespace {

Document parse_ok(std::string_view text) {
    auto document = Document::parse(text);
    if (!document) FAIL(document.error().message());
    return std::move(*document);
}

}  // namespace

TEST_CASE("a document that is not JSON is an invalid_input error", "[json][reader]") {
    for (const char* text : {"", "{", "{\"a\":}", "[1,]", "\"\xff\""}) {
        INFO(text);
        auto document = Document::parse(text);
        REQUIRE_FALSE(document);
        CHECK(document.error().kind() == outpost::ErrorKind::invalid_input);
        CHECK_FALSE(document.error().message().empty());
    }
}

TEST_CASE("values are typed views that refuse other types", "[json][reader]") {
    const auto doc = parse_ok(
        R"({"s":"x","i":-3,"u":18446744073709551615,"d":1.5,"b":true,"n":null,"o":{"k":1},"a":[1,"two"]})");
    const auto root = doc.root().object();
    REQUIRE(root);
    CHECK(root->size() == 8);
    CHECK(root->find("s")->string() == "x");
    CHECK_FALSE(root->find("s")->int64());
    CHECK(root->find("i")->int64() == -3);
    CHECK(root->find("i")->is_int64());
    CHECK_FALSE(root->find("i")->uint64());
    CHECK(root->find("u")->uint64() == 18446744073709551615ULL);
    CHECK_FALSE(root->find("u")->int64());
    CHECK_FALSE(root->find("u")->is_int64());
    CHECK(root->find("d")->number() == 1.5);
    CHECK_FALSE(root->find("d")->is_int64());
    CHECK(root->find("b")->boolean() == true);
    CHECK(root->find("n")->is_null());
    CHECK(root->find("o")->kind() == Kind::object);
    CHECK(root->find("o")->minified() == R"({"k":1})");
    CHECK(kind_name(root->find("a")->kind()) == "an array");
    CHECK(root->find("a")->array()->size() == 2);
    CHECK_FALSE(root->find("absent"));
}

TEST_CASE("object members come in document order, duplicates included", "[json][reader]") {
    const auto doc = parse_ok(R"({"b":1,"a":2,"b":3})");
    const Object object = doc.root().object().value();
    std::vector<std::string> keys;
    for (const auto member : object) keys.emplace_back(member.key);
    CHECK(keys == std::vector<std::string>{"b", "a", "b"});
}

TEST_CASE("the object reader keeps the first error with its JSON pointer", "[json][reader]") {
    const auto doc = parse_ok(
        R"({"name":"n","count":7,"inner":{"a/b":"x","list":[{"v":1},{"v":"no"}]},"late":5})");
    ObjectReader r(*doc.root().object());
    CHECK(r.string("name") == "n");
    CHECK(r.uint64("count") == 7);
    CHECK_FALSE(r.failed());
    auto inner = r.object("inner");
    REQUIRE(inner);
    CHECK(inner->uint64("a/b") == 0);  // a string: the first failure
    CHECK(r.failed());
    CHECK(r.error() == "/inner/a~1b: not a non-negative integer");
    // Later failures do not replace it, and later reads are no-ops.
    CHECK(r.string("late").empty());
    CHECK(r.string("absent").empty());
    CHECK(r.error() == "/inner/a~1b: not a non-negative integer");
}

TEST_CASE("the object reader names missing members and wrong items", "[json][reader]") {
    const auto doc = parse_ok(R"({"list":[{"v":1},{"v":"no"}],"m":{"x":"1","y":2}})");
    {
        ObjectReader r(*doc.root().object());
        auto items = r.objects("list");
        REQUIRE(items.size() == 2);
        CHECK(items[0].uint64("v") == 1);
        CHECK(items[1].uint64("v") == 0);
        CHECK(r.error() == "/list/1/v: not a non-negative integer");
    }
    {
        ObjectReader r(*doc.root().object());
        CHECK(r.string_map("m").empty());
        CHECK(r.error() == "/m/y: not a string");
    }
    {
        ObjectReader r(*doc.root().object());
        CHECK_FALSE(r.optional_string("absent"));
        CHECK_FALSE(r.object("absent", false));
        CHECK_FALSE(r.failed());
        CHECK(r.strings("absent").empty());
        CHECK(r.error() == "/absent: missing");
    }
}
