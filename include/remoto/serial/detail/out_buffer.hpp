// The encoders' output: bytes stored through a plain pointer into a per-thread scratch buffer
// that keeps its memory from one call to the next, then copied once, at exactly its size, into
// the result string. Writing straight into a std::string instead costs a zero-filling resize
// and a copy at every doubling, and a fresh allocation per call (together about a fifth of
// encoding a 30 kB dict).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace remoto::serial::detail {

class OutBuffer {
 public:
  /// Takes the thread's scratch buffer, or a buffer of its own if that one is in use (an
  /// encoder running inside another on the same thread).
  OutBuffer() {
    Scratch& s = scratch();
    if (!s.busy) {
      s.busy = true;
      shared_ = true;
      data_ = std::move(s.data);
      cap_ = s.cap;
    }
    p = data_.get();
    end = p + cap_;
  }
  ~OutBuffer() {
    if (!shared_) return;
    Scratch& s = scratch();
    s.busy = false;
    if (cap_ <= max_kept) {  // a rare huge output does not pin its memory to the thread
      s.data = std::move(data_);
      s.cap = cap_;
    } else {
      s.cap = 0;
    }
  }
  OutBuffer(const OutBuffer&) = delete;
  OutBuffer& operator=(const OutBuffer&) = delete;

  /// Room for n more bytes at p.
  void ensure(std::size_t n) {
    if (static_cast<std::size_t>(end - p) < n) grow(n);
  }
  // Callers ensure() room first.
  void byte(unsigned char c) noexcept { *p++ = static_cast<char>(c); }
  void raw(const char* data, std::size_t n) noexcept {
    if (n) std::memcpy(p, data, n);
    p += n;
  }
  /// ensure() and raw() together.
  void append(std::string_view s) {
    ensure(s.size());
    raw(s.data(), s.size());
  }
  std::size_t size() const noexcept { return static_cast<std::size_t>(p - data_.get()); }
  std::string str() const { return std::string(data_.get(), size()); }

 private:
  struct Scratch {
    std::unique_ptr<char[]> data;
    std::size_t cap = 0;
    bool busy = false;
  };
  static constexpr std::size_t max_kept = std::size_t{4} << 20;

  static Scratch& scratch() noexcept {
    thread_local Scratch s;
    return s;
  }

  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t used = size();
    std::size_t cap = cap_ * 2 > 4096 ? cap_ * 2 : 4096;
    if (cap < used + n) cap = used + n;
    std::unique_ptr<char[]> bigger(new char[cap]);  // not value-initialized: no zero fill
    if (used) std::memcpy(bigger.get(), data_.get(), used);
    data_ = std::move(bigger);
    cap_ = cap;
    p = data_.get() + used;
    end = data_.get() + cap_;
  }

  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0;
  bool shared_ = false;

 public:
  // The write position and the end of the room, public so that a writer's inline code stores
  // through them directly.
  char* p = nullptr;
  char* end = nullptr;
};

}  // namespace remoto::serial::detail
