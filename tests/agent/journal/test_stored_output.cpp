// Defect 6: the journal stores no more output than a command_result can
// carry, and what to_wire sends of the stored result holds all it would
// have sent of the whole capture.

#include <random>

#include "agent/dispatch/results.hpp"
#include "agent/journal/stored_output.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;
namespace dispatch = outpost::dispatch;

namespace {

constexpr std::size_t kMaxMessage = 16 * 1024;

j::CommandResult with_output(std::string out, std::string err) {
    j::CommandResult r = result(j::CommandState::succeeded);
    r.stdout_text = std::move(out);
    r.stderr_text = std::move(err);
    return r;
}

j::CommandRecord record_of(const j::CommandResult& r) {
    j::CommandRecord record;
    record.spec = spec("a-1");
    record.state = r.state;
    record.result = r;
    return record;
}

// Random text with control bytes, ill-formed bytes and multi-byte
// characters: what escaping expands differently.
std::string mixed_text(std::mt19937& random, std::size_t n) {
    static const std::vector<std::string> pieces = {"a", "bc", "\n", "\x01", "\xff",       "é",
                                                    "€", "😀",  "\"", "\\",   "plain text "};
    std::string text;
    while (text.size() < n) text += pieces[random() % pieces.size()];
    return text;
}

}  // namespace

TEST_CASE("the journal stores a result's output cut to max_message_bytes") {
    TempDir dir;
    j::Options options;
    options.max_message_bytes = kMaxMessage;
    auto journal = j::Journal::open(dir.file("journal.db"), options);
    REQUIRE_OK(journal);
    REQUIRE_OK(journal->start_new(spec("a-1"), at(), at()));
    // What the runner captures with max_output_bytes 1 MiB: far more than is sent.
    REQUIRE_OK(journal->finish("a-1", with_output(std::string(1 << 20, 'o'), "oops")));
    auto row = journal->lookup("a-1");
    REQUIRE_OK(row);
    const j::CommandResult& stored = (*row)->result.value();
    CHECK(stored.stdout_text.size() + stored.stderr_text.size() <= kMaxMessage);
    CHECK(stored.stdout_text.size() == kMaxMessage - 4);
    CHECK(stored.stdout_truncated);
    CHECK(stored.stderr_text == "oops");
    CHECK(!stored.stderr_truncated);
}

TEST_CASE("a rejected command's stored output is cut too, and 0 keeps it whole") {
    TempDir dir;
    j::Options options;
    options.max_message_bytes = kMaxMessage;
    auto journal = j::Journal::open(dir.file("journal.db"), options);
    REQUIRE_OK(journal);
    j::CommandResult rejected = result(j::CommandState::rejected);
    rejected.stderr_text = std::string(100'000, 'e');
    REQUIRE_OK(journal->insert_rejected(spec("r-1"), at(), rejected));
    CHECK((*journal->lookup("r-1"))->result->stderr_text.size() == kMaxMessage);

    const auto whole = j::fit_stored_output(with_output(std::string(100'000, 'x'), ""), 0);
    CHECK(whole.stdout_text.size() == 100'000);
    CHECK(!whole.stdout_truncated);
}

TEST_CASE("stored output is cut between UTF-8 characters") {
    std::string out;
    while (out.size() < 3 * kMaxMessage) out += "€";  // 3 bytes each
    const auto fitted =
        j::fit_stored_output(with_output(out, std::string(kMaxMessage, 'e')), kMaxMessage);
    REQUIRE(!fitted.stdout_text.empty());
    CHECK(fitted.stdout_text.size() % 3 == 0);
    CHECK(fitted.stdout_text.size() + fitted.stderr_text.size() <= kMaxMessage);
}

TEST_CASE("to_wire sends of the stored result all it would send of the whole capture") {
    std::mt19937 random(14);
    const std::vector<std::size_t> sizes = {0, 10, 5'000, 9'000, 17'000, 40'000, 200'000};
    for (const std::size_t out_size : sizes) {
        for (const std::size_t err_size : sizes) {
            for (const bool mixed : {false, true}) {
                const std::string out =
                    mixed ? mixed_text(random, out_size) : std::string(out_size, 'o');
                const std::string err =
                    mixed ? mixed_text(random, err_size) : std::string(err_size, 'e');
                j::CommandResult whole = with_output(out, err);
                j::CommandResult stored = whole;
                j::cut_stored_output(stored, kMaxMessage);
                INFO("stdout " << out.size() << " stderr " << err.size() << " mixed " << mixed);
                CHECK(stored.stdout_text.size() + stored.stderr_text.size() <= kMaxMessage);
                const auto sent_whole = dispatch::to_wire(record_of(whole), kMaxMessage);
                const auto sent_stored = dispatch::to_wire(record_of(stored), kMaxMessage);
                // Nothing that would have been sent is lost. to_wire sizes
                // the rest of the message with the flags as they are before
                // its cut, and `true` is a byte shorter than `false`: of a
                // stored (flagged) result it may send a byte more per stream,
                // so at most one more character (4 bytes) of each.
                CHECK(sent_stored.stdout_text.starts_with(sent_whole.stdout_text));
                CHECK(sent_stored.stderr_text.starts_with(sent_whole.stderr_text));
                CHECK(sent_stored.stdout_text.size() + sent_stored.stderr_text.size() <=
                      sent_whole.stdout_text.size() + sent_whole.stderr_text.size() + 8);
                CHECK(sent_stored.stdout_truncated == sent_whole.stdout_truncated);
                CHECK(sent_stored.stderr_truncated == sent_whole.stderr_truncated);
            }
        }
    }
}
