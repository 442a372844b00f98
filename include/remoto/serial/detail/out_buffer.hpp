// The encoders' output, stored through a plain pointer so that each item costs one bounds
// check and no call. Two forms: OutBuffer, a per-thread scratch buffer that keeps its memory
// from one call to the next, then copied once, at exactly its size, into the result string
// (writing straight into a std::string instead costs a zero-filling resize and a copy at every
// doubling, and a fresh allocation per call: together about a fifth of serpent's encoding of a
// 30 kB dict); and StringOut, straight into a std::string (measured as fast for the binary
// formats, whose output is smaller than their input).
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

/// Appends to a std::string through a plain pointer, growing it geometrically; the string's
/// size is settled when this ends. A base for a format's writer, which stores through p_.
class StringOut {
 public:
  explicit StringOut(std::string& out) : out_(out) {
    p_ = out_.data() + out_.size();
    end_ = p_;
  }
  ~StringOut() { out_.resize(static_cast<std::size_t>(p_ - out_.data())); }
  StringOut(const StringOut&) = delete;
  StringOut& operator=(const StringOut&) = delete;

 protected:
  /// Room for n more bytes at p_.
  void ensure(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) grow(n);
  }
  // Callers ensure() room first.
  void byte(std::size_t c) noexcept { *p_++ = static_cast<char>(c); }
  void raw(const char* data, std::size_t n) noexcept {
    if (n) std::memcpy(p_, data, n);
    p_ += n;
  }

  char* p_;
  char* end_;

 private:
  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t used = static_cast<std::size_t>(p_ - out_.data());
    const std::size_t doubled = 2 * out_.size() > 256 ? 2 * out_.size() : 256;
    out_.resize(used + n > doubled ? used + n : doubled);
    p_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
};

}  // namespace remoto::serial::detail
