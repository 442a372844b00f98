// remoto::InlineString: the immutable byte string inside a Value's str. Up to 31 bytes live in
// the object itself (std::string keeps only 15), so the short keys and words that fill most
// decoded data ("entry_0001_alpha", "__class__", "args") cost no allocation; longer ones take
// one exactly sized heap block. 32 bytes, the size of a std::string, so Value stays 40 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace remoto {

/// Immutable bytes with a small-size optimisation. Not NUL-terminated: use view() or str().
/// Value type. Thread safety: distinct objects safe, shared objects read-only safe.
class InlineString {
 public:
  static constexpr std::size_t inline_capacity = 31;

  InlineString() noexcept { std::memset(buf_, 0, sizeof buf_); }
  InlineString(std::string_view s) { assign(s.data(), s.size()); }  // NOLINT: implicit on purpose
  InlineString(const std::string& s) { assign(s.data(), s.size()); }
  InlineString(const char* s) { assign(s, std::strlen(s)); }
  InlineString(const char* p, std::size_t n) { assign(p, n); }

  InlineString(const InlineString& other) {
    if (other.is_heap()) {
      assign(other.heap_ptr(), other.heap_size());
    } else {
      std::memcpy(buf_, other.buf_, sizeof buf_);
    }
  }
  InlineString(InlineString&& other) noexcept {
    std::memcpy(buf_, other.buf_, sizeof buf_);
    std::memset(other.buf_, 0, sizeof other.buf_);
  }
  InlineString& operator=(const InlineString& other) {
    if (this != &other) {
      InlineString copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  InlineString& operator=(InlineString&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(buf_, other.buf_, sizeof buf_);
      std::memset(other.buf_, 0, sizeof other.buf_);
    }
    return *this;
  }
  ~InlineString() { release(); }

  const char* data() const noexcept { return is_heap() ? heap_ptr() : buf_; }
  std::size_t size() const noexcept {
    return is_heap() ? heap_size() : static_cast<unsigned char>(buf_[tag_at]);
  }
  bool empty() const noexcept { return size() == 0; }
  const char* begin() const noexcept { return data(); }
  const char* end() const noexcept { return data() + size(); }
  std::string_view view() const noexcept { return {data(), size()}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: implicit on purpose
  std::string str() const { return std::string(view()); }

  friend bool operator==(const InlineString& a, const InlineString& b) noexcept {
    if (!a.is_heap() && !b.is_heap()) {
      // Inline bytes past the size are zero, and the size is byte 31: compare all 32 bytes.
      return std::memcmp(a.buf_, b.buf_, sizeof a.buf_) == 0;
    }
    return a.view() == b.view();
  }
  friend bool operator==(const InlineString& a, std::string_view b) noexcept {
    return a.view() == b;
  }

  /// memcpy for n <= 31 as at most two fixed-size (overlapping) moves: no call, no loop.
  /// Also for writers of short texts.
  static void copy_short(char* to, const char* from, std::size_t n) noexcept {
    auto two = [&](auto word) {
      using W = decltype(word);
      W a;
      W b;
      std::memcpy(&a, from, sizeof a);
      std::memcpy(&b, from + n - sizeof b, sizeof b);
      std::memcpy(to, &a, sizeof a);
      std::memcpy(to + n - sizeof b, &b, sizeof b);
    };
    struct W16 {
      char b[16];
    };
    if (n >= 16) {
      two(W16{});
    } else if (n >= 8) {
      two(std::uint64_t{});
    } else if (n >= 4) {
      two(std::uint32_t{});
    } else if (n > 0) {
      to[0] = from[0];
      to[n / 2] = from[n / 2];
      to[n - 1] = from[n - 1];
    }
  }

 private:
  static constexpr std::size_t tag_at = 31;
  static constexpr unsigned char heap_tag = 0xFF;

  // A heap string keeps its pointer in bytes 0-7 and its size in bytes 8-15.
  bool is_heap() const noexcept { return static_cast<unsigned char>(buf_[tag_at]) == heap_tag; }
  char* heap_ptr() const noexcept {
    char* p;
    std::memcpy(&p, buf_, sizeof p);
    return p;
  }
  std::size_t heap_size() const noexcept {
    std::size_t n;
    std::memcpy(&n, buf_ + sizeof(char*), sizeof n);
    return n;
  }

  void assign(const char* p, std::size_t n) {
    if (n <= inline_capacity) {
      std::memset(buf_, 0, sizeof buf_);  // so that equality can compare whole buffers
      copy_short(buf_, p, n);
      buf_[tag_at] = static_cast<char>(n);
    } else {
      char* block = static_cast<char*>(::operator new(n));
      std::memcpy(block, p, n);
      std::memcpy(buf_, &block, sizeof block);
      std::memcpy(buf_ + sizeof block, &n, sizeof n);
      buf_[tag_at] = static_cast<char>(heap_tag);
    }
  }
  void release() noexcept {
    if (is_heap()) ::operator delete(heap_ptr());
  }

  alignas(8) char buf_[32];
};

static_assert(sizeof(InlineString) == 32);

}  // namespace remoto
