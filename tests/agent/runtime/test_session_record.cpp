// The session record in the state directory (protocol.md §5): real files in
// a temporary directory.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/runtime/session_record.hpp"

using namespace outpost;
using namespace outpost::runtime;
using namespace std::chrono_literals;

namespace {

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "outpost-record-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

void write_text(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

constexpr std::string_view kBoot = "9b2e4c1a-7d3f-4e5a-8b6c-0d1e2f3a4b5c";

}  // namespace

TEST_CASE("session record: saved and loaded back, mode 0600") {
    TempDir dir;
    const auto file = session_record_path(dir.path);
    const SessionRecord record{std::string(kBoot), 600s};
    REQUIRE(save_session_record(file, record));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK_FALSE(std::filesystem::exists(file.string() + ".tmp"));
    const auto loaded = load_session_record(file);
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK(**loaded == record);

    SECTION("replaced whole, also without a spread") {
        REQUIRE(save_session_record(file, SessionRecord{"abc-0", std::nullopt}));
        const auto again = load_session_record(file);
        REQUIRE(again);
        REQUIRE(again->has_value());
        CHECK((*again)->boot_id == "abc-0");
        CHECK_FALSE((*again)->reconnect_spread);
    }
    SECTION("a leftover temp file with a wide mode does not widen the record") {
        write_text(file.string() + ".tmp", "junk");
        REQUIRE(::chmod((file.string() + ".tmp").c_str(), 0644) == 0);
        REQUIRE(save_session_record(file, record));
        REQUIRE(::stat(file.c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0600);
    }
}

TEST_CASE("session record: a missing file is no session yet") {
    TempDir dir;
    const auto loaded = load_session_record(session_record_path(dir.path));
    REQUIRE(loaded);
    CHECK_FALSE(loaded->has_value());
}

TEST_CASE("session record: corrupt or unreadable files are errors") {
    TempDir dir;
    const auto file = session_record_path(dir.path);
    const std::string bad =
        GENERATE(as<std::string>{}, "", "garbage\n",
                 "outpost-session 1\n",             // no boot_id
                 "outpost-session 1\nboot_id abc",  // torn: no newline
                 "outpost-session 1\nboot_id a b\n",
                 "outpost-session 1\nboot_id abc\nreconnect_spread_s 3601\n",
                 "outpost-session 1\nboot_id abc\nreconnect_spread_s -1\n",
                 "outpost-session 1\nboot_id abc\nreconnect_spread_s 1x\n",
                 "outpost-session 1\nboot_id abc\nextra 1\n", "outpost-session 2\nboot_id abc\n");
    CAPTURE(bad);
    write_text(file, bad);
    const auto loaded = load_session_record(file);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().kind() == ErrorKind::invalid_input);

    SECTION("a directory in its place cannot be read") {
        std::filesystem::remove(file);
        std::filesystem::create_directory(file);
        const auto unreadable = load_session_record(file);
        REQUIRE_FALSE(unreadable);
        CHECK(unreadable.error().kind() == ErrorKind::io);
    }
}

TEST_CASE("session record: the text is what decode reads") {
    const SessionRecord record{std::string(kBoot), 0s};
    CHECK(encode_session_record(record) ==
          "outpost-session 1\nboot_id " + std::string(kBoot) + "\nreconnect_spread_s 0\n");
    const auto decoded = decode_session_record(encode_session_record(record));
    REQUIRE(decoded);
    CHECK(*decoded == record);
}

TEST_CASE("session record: only a different, known boot_id is a reboot") {
    const SessionRecord last{std::string(kBoot), std::nullopt};
    CHECK(host_rebooted_since(last, "11111111-2222-3333-4444-555555555555"));
    CHECK_FALSE(host_rebooted_since(last, kBoot));             // a crash or an upgrade
    CHECK_FALSE(host_rebooted_since(std::nullopt, kBoot));     // no session yet
    CHECK_FALSE(host_rebooted_since(last, ""));                // this boot unknown
    CHECK_FALSE(host_rebooted_since(SessionRecord{}, kBoot));  // the last one unknown
}
