#include "agent/auth/base64url.hpp"

#include <fmt/format.h>

#include <array>

namespace outpost::auth {
namespace {

constexpr std::string_view kStandardAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::int8_t kInvalid = -1;
using DecodeTable = std::array<std::int8_t, 256>;

constexpr DecodeTable make_table(std::string_view alphabet) {
    DecodeTable table{};
    table.fill(kInvalid);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}

constexpr DecodeTable kStandardTable = make_table(kStandardAlphabet);
constexpr DecodeTable kUrlTable = make_table(kUrlAlphabet);

struct Flavour {
    std::string_view name;
    std::string_view alphabet;
    const DecodeTable& table;
};
constexpr Flavour kUrl{"base64url", kUrlAlphabet, kUrlTable};
constexpr Flavour kStandard{"base64", kStandardAlphabet, kStandardTable};

std::string encode(std::span<const std::uint8_t> in, const Flavour& flavour, bool pad) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    // The whole groups written in place: sealed messages (docs/sealing.md)
    // encode up to a megabyte each, where appending char by char showed.
    const std::size_t groups = in.size() / 3;
    out.resize(groups * 4);
    char* to = out.data();
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t n = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) |
                                std::uint32_t{in[i + 2]};
        *to++ = flavour.alphabet[(n >> 18) & 63];
        *to++ = flavour.alphabet[(n >> 12) & 63];
        *to++ = flavour.alphabet[(n >> 6) & 63];
        *to++ = flavour.alphabet[n & 63];
    }
    const std::size_t rest = in.size() - i;
    if (rest == 1) {
        const std::uint32_t n = std::uint32_t{in[i]} << 16;
        out += flavour.alphabet[(n >> 18) & 63];
        out += flavour.alphabet[(n >> 12) & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        const std::uint32_t n = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
        out += flavour.alphabet[(n >> 18) & 63];
        out += flavour.alphabet[(n >> 12) & 63];
        out += flavour.alphabet[(n >> 6) & 63];
        if (pad) out += '=';
    }
    return out;
}

// Size of the decoded form of `n` unpadded characters; 4k+1 is impossible.
Expected<std::size_t> decoded_size(std::size_t n, const Flavour& flavour) {
    if (n % 4 == 1) {
        return fail(fmt::format("invalid {} length {}", flavour.name, n));
    }
    return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

// Decodes unpadded text; `out` has exactly decoded_size() bytes.
Expected<void> decode_unpadded(std::string_view text, const Flavour& flavour,
                               std::span<std::uint8_t> out) {
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t written = 0;
    std::size_t i = 0;
    // Whole groups of four valid characters first, three bytes at a time
    // (sealed messages decode up to a megabyte each); the first group with
    // an invalid character, and the tail, go the careful way below.
    for (; i + 4 <= text.size(); i += 4) {
        const auto at = [&](std::size_t k) {
            return flavour.table[static_cast<unsigned char>(text[i + k])];
        };
        const std::int8_t a = at(0), b = at(1), c = at(2), d = at(3);
        if ((a | b | c | d) < 0) break;
        const auto group = (static_cast<std::uint32_t>(a) << 18) |
                           (static_cast<std::uint32_t>(b) << 12) |
                           (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
        out[written] = static_cast<std::uint8_t>(group >> 16);
        out[written + 1] = static_cast<std::uint8_t>(group >> 8);
        out[written + 2] = static_cast<std::uint8_t>(group);
        written += 3;
    }
    for (; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::int8_t value = flavour.table[c];
        if (value == kInvalid) {
            if (c == '=') {
                return fail(fmt::format("unexpected '=' at offset {} in {}{}", i, flavour.name,
                                        &flavour == &kUrl ? " (padding is not allowed)" : ""));
            }
            return fail(fmt::format("invalid {} character 0x{:02x} at offset {}", flavour.name,
                                    static_cast<unsigned>(c), i));
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[written++] = static_cast<std::uint8_t>((acc >> bits) & 0xffU);
        }
    }
    // Left-over bits must be zero, otherwise two texts would decode the same.
    if (bits > 0 && (acc & ((1U << bits) - 1U)) != 0) {
        return fail(
            fmt::format("non-canonical {}: the unused trailing bits are not zero", flavour.name));
    }
    return {};
}

Expected<std::vector<std::uint8_t>> decode_to_vector(std::string_view text,
                                                     const Flavour& flavour) {
    auto size = decoded_size(text.size(), flavour);
    if (!size) return std::unexpected(size.error());
    std::vector<std::uint8_t> out(*size);
    if (auto ok = decode_unpadded(text, flavour, out); !ok) return std::unexpected(ok.error());
    return out;
}

}  // namespace

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
    return encode(bytes, kUrl, false);
}

std::string base64url_encode(std::string_view bytes) {
    // Bytes of a string are bytes; the cast only changes the element type.
    return encode(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                  kUrl, false);
}

Expected<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
    return decode_to_vector(text, kUrl);
}

Expected<std::size_t> base64url_decode_into(std::string_view text, std::span<std::uint8_t> out) {
    auto size = decoded_size(text.size(), kUrl);
    if (!size) return std::unexpected(size.error());
    if (*size > out.size()) {
        return fail(fmt::format("base64url text decodes to {} bytes, more than the {} expected",
                                *size, out.size()));
    }
    if (auto ok = decode_unpadded(text, kUrl, out.first(*size)); !ok) {
        return std::unexpected(ok.error());
    }
    return *size;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    return encode(bytes, kStandard, true);
}

Expected<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return fail(fmt::format("invalid base64 length {} (padded base64 is a multiple of 4)",
                                text.size()));
    }
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    const std::string_view body = text.substr(0, text.size() - padding);
    // With the padding stripped the body must not be 4k+1 long (checked by
    // decoded_size); a third '=' or an '=' inside is an invalid character.
    return decode_to_vector(body, kStandard);
}

}  // namespace outpost::auth
