#include "collectors/containers/http_response.hpp"

#include <algorithm>
#include <charconv>

namespace outpost::collectors::containers {
namespace {

constexpr std::string_view crlf = "\r\n";
// A chunk-size line ("1f4;name=value") or a trailer field is never long; a
// peer that sends kilobytes without a line end is not speaking HTTP.
constexpr std::size_t max_chunk_line_bytes = 4096;
// 15 hex digits: up to 2^60 - 1, so the size fits in 64 bits with room to
// add the CRLF; the byte limit of the client stops far earlier.
constexpr std::size_t max_chunk_size_digits = 15;

std::unexpected<Error> malformed(std::string what) {
    return fail(ErrorKind::invalid_input, "malformed HTTP response: " + std::move(what));
}

std::unexpected<Error> closed_early(std::string what) {
    return fail(ErrorKind::io, "connection closed " + std::move(what));
}

bool is_token_char(char c) {
    // RFC 9110 §5.6.2 tchar.
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Field values and reason phrases: visible characters, blanks and obs-text,
// never a control character (a stray CR, LF or NUL is not HTTP).
bool is_text(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string_view trim_blanks(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// "HTTP/1.1 200 OK": version 1.0 or 1.1, a three-digit final status, and an
// optional reason.
Expected<void> parse_status_line(std::string_view line, ResponseHead& head) {
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
        line[8] != ' ') {
        return malformed("status line is not \"HTTP/1.x NNN reason\"");
    }
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return malformed("status code is not three digits");
    }
    head.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (head.status < 200 || head.status > 599) {
        // We send no Expect and ask for no upgrade: an interim or unknown
        // class is not an answer to our request.
        return malformed("status " + std::string(code) + " is not a final response");
    }
    std::string_view rest = line.substr(12);
    if (!rest.empty()) {
        if (rest.front() != ' ') return malformed("no space after the status code");
        rest.remove_prefix(1);
    }
    if (!is_text(rest)) return malformed("control character in the reason phrase");
    head.reason = std::string(rest);
    return {};
}

Expected<void> parse_field_line(std::string_view line, ResponseHead& head) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return malformed("header line without a colon");
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) return malformed("empty header field name");
    if (!std::all_of(name.begin(), name.end(), is_token_char)) {
        // Also catches obs-fold (a line starting with a blank), which
        // RFC 9112 §5.2 lets a client refuse.
        return malformed("invalid character in header field name");
    }
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    if (!is_text(value)) return malformed("control character in header field " + std::string(name));
    head.fields.emplace_back(lower(name), std::string(value));
    return {};
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 19) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// How the body is delimited (RFC 9112 §6.3), from the fields already read.
Expected<void> decide_framing(ResponseHead& head) {
    std::optional<std::uint64_t> length;
    bool chunked = false;
    for (const auto& [name, value] : head.fields) {
        if (name == "transfer-encoding") {
            if (lower(value) != "chunked" || chunked) {
                return malformed("unsupported transfer-encoding \"" + value + "\"");
            }
            chunked = true;
        } else if (name == "content-length") {
            const auto parsed = parse_decimal(value);
            if (!parsed) return malformed("content-length \"" + value + "\" is not a number");
            if (length && *length != *parsed) return malformed("conflicting content-length fields");
            length = parsed;
        }
    }
    if (chunked && length) return malformed("both content-length and transfer-encoding");
    if (head.status == 204 || head.status == 304) {
        head.framing = BodyFraming::none;
    } else if (chunked) {
        head.framing = BodyFraming::chunked;
    } else if (length) {
        head.framing = BodyFraming::content_length;
        head.content_length = *length;
    } else {
        head.framing = BodyFraming::until_close;
    }
    return {};
}

// One CRLF-terminated line at `pos`, or nullopt when its end has not arrived.
std::optional<std::string_view> line_at(std::string_view bytes, std::size_t pos) {
    const auto end = bytes.find(crlf, pos);
    if (end == std::string_view::npos) return std::nullopt;
    return bytes.substr(pos, end - pos);
}

Expected<std::uint64_t> parse_chunk_size(std::string_view line) {
    const std::string_view digits = line.substr(0, line.find(';'));
    const std::string_view size_text = trim_blanks(digits);
    if (size_text.empty() || size_text.size() > max_chunk_size_digits) {
        return malformed("chunk size \"" + std::string(size_text.substr(0, 32)) +
                         "\" is not a hex number");
    }
    std::uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size()) {
        return malformed("chunk size \"" + std::string(size_text) + "\" is not a hex number");
    }
    return size;
}

}  // namespace

Expected<std::optional<ResponseHead>> parse_response_head(std::string_view bytes,
                                                          bool peer_closed) {
    const auto end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos || end + 4 > max_response_head_bytes) {
        if (bytes.size() >= max_response_head_bytes) {
            return malformed("header section longer than " +
                             std::to_string(max_response_head_bytes) + " bytes");
        }
        if (peer_closed) {
            return closed_early(bytes.empty() ? "without a response"
                                              : "before the end of the response headers");
        }
        return std::nullopt;
    }
    ResponseHead head;
    head.body_offset = end + 4;
    std::size_t pos = 0;
    const auto status_line = line_at(bytes, pos);
    if (auto ok = parse_status_line(*status_line, head); !ok) return std::unexpected(ok.error());
    pos += status_line->size() + crlf.size();
    while (pos < end + crlf.size()) {
        const auto line = line_at(bytes, pos);
        if (auto ok = parse_field_line(*line, head); !ok) return std::unexpected(ok.error());
        pos += line->size() + crlf.size();
    }
    if (auto ok = decide_framing(head); !ok) return std::unexpected(ok.error());
    return head;
}

Expected<std::optional<std::string>> decode_chunked_body(std::string_view bytes, bool peer_closed) {
    std::string body;
    std::size_t pos = 0;
    const auto incomplete = [&](std::string_view where) -> Expected<std::optional<std::string>> {
        if (bytes.size() - pos > max_chunk_line_bytes && where != "chunk data") {
            return malformed(std::string(where) + " line longer than " +
                             std::to_string(max_chunk_line_bytes) + " bytes");
        }
        if (peer_closed)
            return closed_early("in the middle of the chunked body (" + std::string(where) + ")");
        return std::optional<std::string>();
    };
    for (;;) {
        const auto size_line = line_at(bytes, pos);
        if (!size_line || size_line->size() > max_chunk_line_bytes) return incomplete("chunk size");
        auto size = parse_chunk_size(*size_line);
        if (!size) return std::unexpected(size.error());
        const std::size_t data_start = pos + size_line->size() + crlf.size();
        if (*size == 0) {
            pos = data_start;
            break;
        }
        if (bytes.size() - data_start < *size + crlf.size()) {
            pos = data_start;
            return incomplete("chunk data");
        }
        if (bytes.substr(data_start + *size, crlf.size()) != crlf) {
            return malformed("chunk data is not followed by CRLF (wrong chunk size?)");
        }
        body.append(bytes.substr(data_start, *size));
        pos = data_start + *size + crlf.size();
    }
    // Trailer fields, then the empty line that ends the message.
    for (;;) {
        const auto line = line_at(bytes, pos);
        if (!line || line->size() > max_chunk_line_bytes) return incomplete("trailer");
        pos += line->size() + crlf.size();
        if (line->empty()) return std::optional<std::string>(std::move(body));
        ResponseHead ignored;
        if (auto ok = parse_field_line(*line, ignored); !ok) return std::unexpected(ok.error());
    }
}

Expected<std::optional<HttpResponse>> parse_http_response(std::string_view bytes,
                                                          bool peer_closed) {
    auto head = parse_response_head(bytes, peer_closed);
    if (!head) return std::unexpected(head.error());
    if (!*head) return std::nullopt;
    HttpResponse response{std::move(**head), {}};
    const std::string_view rest = bytes.substr(response.head.body_offset);
    switch (response.head.framing) {
        case BodyFraming::none:
            return response;
        case BodyFraming::content_length:
            if (rest.size() < response.head.content_length) {
                if (!peer_closed) return std::nullopt;
                return closed_early("after " + std::to_string(rest.size()) + " of " +
                                    std::to_string(response.head.content_length) + " body bytes");
            }
            response.body = std::string(rest.substr(0, response.head.content_length));
            return response;
        case BodyFraming::until_close:
            if (!peer_closed) return std::nullopt;
            response.body = std::string(rest);
            return response;
        case BodyFraming::chunked: {
            auto body = decode_chunked_body(rest, peer_closed);
            if (!body) return std::unexpected(body.error());
            if (!*body) return std::nullopt;
            response.body = std::move(**body);
            return response;
        }
    }
    return malformed("unknown body framing");
}

}  // namespace outpost::collectors::containers
