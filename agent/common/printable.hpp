#pragma once
// Text from outside (a server's error message or close reason, a config key
// name) made safe to show a person: whatever reaches a terminal must not be
// able to move the cursor, clear the screen or reorder what is shown.

#include <string>
#include <string_view>

namespace outpost {

// Whether a tab passes: log lines keep it; `outpost status` lays out its own
// columns and escapes it like any other control.
enum class Tabs { keep, escape };

// `text` with every terminal control written out visibly: C0 and DEL as
// `\xNN`, C1 (U+0080..U+009F, where U+009B is CSI) and the bidi embeddings,
// overrides and isolates as `\uNNNN`, and each byte of ill-formed UTF-8 as
// `\xNN`. Printable text passes unchanged; a backslash is kept as is, so
// the result is for reading, not for decoding back.
[[nodiscard]] std::string printable(std::string_view text, Tabs tabs = Tabs::keep);

}  // namespace outpost
