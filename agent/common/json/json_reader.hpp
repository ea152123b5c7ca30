#pragma once
// Our face of simdjson for reading JSON, beside the writer (json_writer.hpp):
// everything outside agent/protocol reads JSON through these types and never
// names simdjson itself, as SQLite is behind journal/sqlite.hpp.
//
// Two layers:
// - Document / Value / Object / Array: a parsed document and typed, checked
//   views into it (std::optional when the value is of another type).
// - ObjectReader: "keep the first error" reading of an object's members. The
//   first failure is kept with the JSON pointer of its member ("/agent/pid:
//   missing"); every later read is a no-op returning a default, so a reader
//   reads all its fields in order and checks failed() once at the end.
//
// simdjson's DOM is used (one pass, then random access to members), and
// values are views: a Document must outlive what was read from it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "agent/common/error.hpp"

namespace outpost::json {

enum class Kind { object, array, string, number, boolean, null };

// "an object", "a number", "null": for messages ("expected …, found …").
[[nodiscard]] std::string_view kind_name(Kind kind);

class Object;
class Array;

class Value {
  public:
    [[nodiscard]] Kind kind() const;
    [[nodiscard]] bool is_null() const { return kind() == Kind::null; }
    // Written as an integer that fits int64_t (not 1.0, not 1e3, not > 2^63-1).
    [[nodiscard]] bool is_int64() const;

    [[nodiscard]] std::optional<std::string_view> string() const;
    [[nodiscard]] std::optional<std::int64_t> int64() const;    // integers within int64_t
    [[nodiscard]] std::optional<std::uint64_t> uint64() const;  // integers within uint64_t
    [[nodiscard]] std::optional<double> number() const;         // any number
    [[nodiscard]] std::optional<bool> boolean() const;
    [[nodiscard]] std::optional<Object> object() const;
    [[nodiscard]] std::optional<Array> array() const;

    // The value as compact JSON text.
    [[nodiscard]] std::string minified() const;

  private:
    friend class Document;
    friend class Object;
    friend class Array;
    explicit Value(simdjson::dom::element element) : element_(element) {}
    simdjson::dom::element element_;
};

// An object's members in document order, duplicates included (a caller that
// must refuse duplicates sees them).
class Object {
  public:
    struct Member {
        std::string_view key;
        Value value;
    };
    class Iterator {
      public:
        Member operator*() const;
        Iterator& operator++();
        bool operator!=(const Iterator& other) const { return it_ != other.it_; }

      private:
        friend class Object;
        explicit Iterator(simdjson::dom::object::iterator it) : it_(it) {}
        simdjson::dom::object::iterator it_;
    };

    // The first member named `key`, if any.
    [[nodiscard]] std::optional<Value> find(std::string_view key) const;
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] Iterator begin() const;
    [[nodiscard]] Iterator end() const;

  private:
    friend class Value;
    explicit Object(simdjson::dom::object object) : object_(object) {}
    simdjson::dom::object object_;
};

class Array {
  public:
    class Iterator {
      public:
        Value operator*() const;
        Iterator& operator++();
        bool operator!=(const Iterator& other) const { return it_ != other.it_; }

      private:
        friend class Array;
        explicit Iterator(simdjson::dom::array::iterator it) : it_(it) {}
        simdjson::dom::array::iterator it_;
    };

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] Iterator begin() const;
    [[nodiscard]] Iterator end() const;

  private:
    friend class Value;
    explicit Array(simdjson::dom::array array) : array_(array) {}
    simdjson::dom::array array_;
};

class Document {
  public:
    // Parses `text` (RFC 8259, UTF-8 checked). The error (invalid_input) is
    // simdjson's reason, for the caller to put in context.
    [[nodiscard]] static Expected<Document> parse(std::string_view text);

    [[nodiscard]] Value root() const { return Value(root_); }

  private:
    Document(std::unique_ptr<simdjson::dom::parser> parser, simdjson::dom::element root)
        : parser_(std::move(parser)), root_(root) {}
    std::unique_ptr<simdjson::dom::parser> parser_;  // owns the memory root_ points into
    simdjson::dom::element root_;
};

// Appends "/" + `token` escaped per RFC 6901 (~ → ~0, / → ~1).
void append_pointer_token(std::string& pointer, std::string_view token);

// Keep-the-first-error reading of one object (see the top of this file).
// Readers of nested objects share their parent's error. Members the reader
// does not ask for are ignored.
class ObjectReader {
  public:
    // A reader of `object` at the document's root (pointer "").
    explicit ObjectReader(Object object);

    [[nodiscard]] bool failed() const { return error_->has_value(); }
    // "<pointer>: <why>", e.g. "/agent/pid: missing"; empty when none failed.
    [[nodiscard]] std::string error() const { return error_->value_or(""); }
    // Records a failure at member `key` (if none was recorded yet).
    void fail(std::string_view key, std::string_view why);

    std::string string(std::string_view key);                          // required
    std::optional<std::string> optional_string(std::string_view key);  // absent or null: nullopt
    std::uint64_t uint64(std::string_view key);                        // required, >= 0
    std::optional<std::int64_t> optional_int64(std::string_view key);  // absent or null: nullopt
    std::vector<std::string> strings(std::string_view key);            // required array
    // Required object whose members all hold strings / unsigned integers.
    std::map<std::string, std::string, std::less<>> string_map(std::string_view key);
    std::map<std::string, std::uint64_t, std::less<>> uint64_map(std::string_view key);

    // Nested objects, sharing this reader's error. `required` false: absent
    // or null give nullopt without a failure.
    std::optional<ObjectReader> object(std::string_view key, bool required = true);
    std::vector<ObjectReader> objects(std::string_view key);  // required array of objects

    // The member, or nullopt (with "missing" recorded when `required`).
    std::optional<Value> find(std::string_view key, bool required = true);

  private:
    ObjectReader(Object object, std::string pointer,
                 std::shared_ptr<std::optional<std::string>> error);
    std::optional<Array> array(std::string_view key);
    [[nodiscard]] std::string pointer_to(std::string_view key) const;

    Object object_;
    std::string pointer_;
    std::shared_ptr<std::optional<std::string>> error_;
};

}  // namespace outpost::json
