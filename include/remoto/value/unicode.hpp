// UTF-8 helpers for Value's str: code points stored as UTF-8 extended to the surrogate range
// D800-DFFF (three bytes ED A0..BF xx, as Python's "surrogatepass" error handler writes them),
// so lone surrogates survive. Strict UTF-8 is the same minus those sequences.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace remoto::unicode {

/// Decodes the code point at s[pos] and advances pos past it. nullopt (pos unchanged) for an
/// invalid, overlong or truncated sequence, or for a surrogate when !allow_surrogates.
std::optional<char32_t> decode(std::string_view s, std::size_t& pos, bool allow_surrogates);

/// Appends cp (<= 0x10FFFF; surrogates written surrogatepass-style).
void append(std::string& out, char32_t cp);

/// Offset of the first byte that does not start a valid sequence, or npos if all is valid.
std::size_t find_invalid(std::string_view s, bool allow_surrogates);
inline bool is_valid(std::string_view s, bool allow_surrogates) {
  return find_invalid(s, allow_surrogates) == std::string_view::npos;
}

/// Offset of the first encoded surrogate (ED A0..BF), or npos: for encoders that must refuse them.
std::size_t find_surrogate(std::string_view s);

/// Number of code points; precondition: valid (surrogates allowed).
std::size_t length(std::string_view s);

/// Whether CPython 3.11's str.isprintable() holds for cp, i.e. repr() writes it raw rather
/// than as an escape. Non-printable: categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs except ' '.
bool is_printable(char32_t cp) noexcept;

}  // namespace remoto::unicode
