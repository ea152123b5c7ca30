#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "agent/auth/base64url.hpp"
#include "agent/auth/identity.hpp"
#include "agent/auth/uuid.hpp"
#include "temp_dir.hpp"

using namespace outpost::auth;
using outpost::auth::test::TempDir;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string load_error(const fs::path& dir, std::optional<std::string> node_id = {}) {
    auto identity = load_or_create_identity(dir, std::move(node_id));
    REQUIRE_FALSE(identity);
    return identity.error().message();
}

// Restores the process umask at scope exit.
class UmaskGuard {
  public:
    explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
    UmaskGuard(const UmaskGuard&) = delete;
    UmaskGuard& operator=(const UmaskGuard&) = delete;
    ~UmaskGuard() { ::umask(old_); }

  private:
    mode_t old_;
};

}  // namespace

TEST_CASE("first use creates the state dir, key and node id privately", "[identity]") {
    const TempDir tmp;
    const fs::path state = tmp.path() / "var" / "state";
    auto identity = load_or_create_identity(state, std::nullopt);
    REQUIRE(identity);

    CHECK(mode_of(state) == 0700);
    CHECK(mode_of(state / "identity.key") == 0600);
    CHECK(mode_of(state / "node_id") == 0600);
    CHECK(is_uuid_v4(identity->node_id));
    CHECK(read_text(state / "node_id") == identity->node_id + "\n");

    // The file is the base64url seed on one line; it derives the public key.
    const std::string key_text = read_text(state / "identity.key");
    REQUIRE(key_text.size() == 44);
    CHECK(key_text.back() == '\n');
    auto seed = base64url_decode(key_text.substr(0, 43));
    REQUIRE(seed);
    auto key = SecretKey::from_seed(*seed);
    REQUIRE(key);
    CHECK(key->public_key() == identity->public_key);
    CHECK(identity->secret_key.public_key() == identity->public_key);

    // Nothing else (no temporary files) is left in the directory.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(state)) ++entries;
    CHECK(entries == 2);

    CHECK(public_key_base64url(identity->public_key).size() == 43);
    CHECK(public_key_base64url(identity->public_key) == base64url_encode(identity->public_key));
}

TEST_CASE("a second load re-uses the key and node id", "[identity]") {
    const TempDir tmp;
    auto first = load_or_create_identity(tmp.path(), std::nullopt);
    REQUIRE(first);
    const std::string key_text = read_text(tmp.path() / "identity.key");
    auto second = load_or_create_identity(tmp.path(), std::nullopt);
    REQUIRE(second);
    CHECK(second->public_key == first->public_key);
    CHECK(second->node_id == first->node_id);
    CHECK(read_text(tmp.path() / "identity.key") == key_text);
}

TEST_CASE("a key file without a trailing newline is accepted", "[identity]") {
    const TempDir tmp;
    auto first = load_or_create_identity(tmp.path(), std::nullopt);
    REQUIRE(first);
    const fs::path key = tmp.path() / "identity.key";
    const std::string text = read_text(key);
    write_text(key, text.substr(0, 43));
    auto second = load_or_create_identity(tmp.path(), std::nullopt);
    REQUIRE(second);
    CHECK(second->public_key == first->public_key);
}

TEST_CASE("a key file readable by others is refused", "[identity]") {
    const TempDir tmp;
    REQUIRE(load_or_create_identity(tmp.path(), std::nullopt));
    const fs::path key = tmp.path() / "identity.key";

    REQUIRE(::chmod(key.c_str(), 0644) == 0);
    const std::string message = load_error(tmp.path());
    CHECK_THAT(message, Catch::Contains(key.string()));
    CHECK_THAT(message, Catch::Contains("0644"));
    CHECK_THAT(message, Catch::Contains("chmod 600"));

    REQUIRE(::chmod(key.c_str(), 0640) == 0);
    CHECK_THAT(load_error(tmp.path()), Catch::Contains("0640"));
    REQUIRE(::chmod(key.c_str(), 0602) == 0);
    CHECK_THAT(load_error(tmp.path()), Catch::Contains("0602"));

    REQUIRE(::chmod(key.c_str(), 0600) == 0);
    CHECK(load_or_create_identity(tmp.path(), std::nullopt));
    REQUIRE(::chmod(key.c_str(), 0400) == 0);  // read-only for the owner is fine
    CHECK(load_or_create_identity(tmp.path(), std::nullopt));
}

TEST_CASE("a damaged key file is refused and left alone", "[identity]") {
    const TempDir tmp;
    REQUIRE(load_or_create_identity(tmp.path(), std::nullopt));
    const fs::path key = tmp.path() / "identity.key";
    const std::string good = read_text(key);

    for (const std::string& bad : {
             good.substr(0, 20),           // truncated
             std::string(),                // empty
             good.substr(0, 43) + "\n\n",  // extra line
             good + good,                  // two keys
             std::string(43, '!') + "\n",  // not base64url
             good.substr(0, 42) + "B\n",   // non-canonical last char
             std::string(5000, 'A'),       // far too large
         }) {
        INFO(bad);
        write_text(key, bad);
        REQUIRE(::chmod(key.c_str(), 0600) == 0);
        const std::string message = load_error(tmp.path());
        CHECK_THAT(message, Catch::Contains(key.string()));
        CHECK(read_text(key) == bad);
    }
}

TEST_CASE("a key path that is not a regular file is refused", "[identity]") {
    const TempDir tmp;
    fs::create_directory(tmp.path() / "identity.key");
    CHECK_THAT(load_error(tmp.path()), Catch::Contains("not a regular file"));
}

TEST_CASE("a state dir that is a file is refused", "[identity]") {
    const TempDir tmp;
    write_text(tmp.path() / "state", "x");
    CHECK_THAT(load_error(tmp.path() / "state"), Catch::Contains("not a directory"));
}

TEST_CASE("a configured node id wins and is not stored", "[identity]") {
    const TempDir tmp;
    auto configured = load_or_create_identity(tmp.path(), std::string("edge-42.site_a:rack-1"));
    REQUIRE(configured);
    CHECK(configured->node_id == "edge-42.site_a:rack-1");
    CHECK_FALSE(fs::exists(tmp.path() / "node_id"));

    auto generated = load_or_create_identity(tmp.path(), std::nullopt);
    REQUIRE(generated);
    CHECK(is_uuid_v4(generated->node_id));
    CHECK(generated->public_key == configured->public_key);

    auto again = load_or_create_identity(tmp.path(), std::string("edge-42"));
    REQUIRE(again);
    CHECK(again->node_id == "edge-42");
    CHECK(read_text(tmp.path() / "node_id") == generated->node_id + "\n");
}

TEST_CASE("an invalid configured node id is refused", "[identity]") {
    const TempDir tmp;
    for (const std::string& bad : {std::string(), std::string("has space"), std::string("quote\""),
                                   std::string(129, 'a'), std::string("caf\xc3\xa9")}) {
        INFO(bad);
        CHECK_THAT(load_error(tmp.path(), bad), Catch::Contains("node_id"));
    }
    CHECK(is_valid_node_id(std::string(128, 'a')));
    CHECK_FALSE(fs::exists(tmp.path() / "identity.key"));
}

TEST_CASE("a stored node id is validated when read back", "[identity]") {
    const TempDir tmp;
    REQUIRE(load_or_create_identity(tmp.path(), std::nullopt));
    write_text(tmp.path() / "node_id", "not-a-uuid\n");
    CHECK_THAT(load_error(tmp.path()), Catch::Contains("node_id"));
    write_text(tmp.path() / "node_id", "123e4567-e89b-42d3-a456-426614174000");  // no newline
    auto identity = load_or_create_identity(tmp.path(), std::nullopt);
    REQUIRE(identity);
    CHECK(identity->node_id == "123e4567-e89b-42d3-a456-426614174000");
}

TEST_CASE("file modes are exact whatever the umask", "[identity]") {
    const TempDir tmp;
    {
        const UmaskGuard guard(0277);  // would turn 0600 into 0400 and 0700 into 0500
        REQUIRE(load_or_create_identity(tmp.path() / "a", std::nullopt));
    }
    CHECK(mode_of(tmp.path() / "a") == 0700);
    CHECK(mode_of(tmp.path() / "a" / "identity.key") == 0600);
    CHECK(mode_of(tmp.path() / "a" / "node_id") == 0600);
    {
        const UmaskGuard guard(0);
        REQUIRE(load_or_create_identity(tmp.path() / "b", std::nullopt));
    }
    CHECK(mode_of(tmp.path() / "b") == 0700);
    CHECK(mode_of(tmp.path() / "b" / "identity.key") == 0600);
}

TEST_CASE("SecretKey is move-only and keeps working after a move", "[identity]") {
    static_assert(!std::is_copy_constructible_v<SecretKey>);
    static_assert(!std::is_copy_assignable_v<SecretKey>);
    static_assert(std::is_nothrow_move_constructible_v<SecretKey>);
    auto key = SecretKey::generate();
    REQUIRE(key);
    const PublicKey public_key = key->public_key();
    SecretKey moved = std::move(*key);
    CHECK(moved.public_key() == public_key);
    auto other = SecretKey::generate();
    REQUIRE(other);
    moved = std::move(*other);
    CHECK(moved.public_key() != public_key);
    CHECK_FALSE(SecretKey::from_seed(std::vector<std::uint8_t>(31)));
}
