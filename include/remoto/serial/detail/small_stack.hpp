// A stack whose first N elements live inside the object: decoders keep per-call state in one
// (marshal's reference slots, msgpack's open containers) because the usual shallow input then
// costs no allocation, while deep or reference-heavy input still grows without bound checks of
// its own (the decoders' limits bound it).
#pragma once

#include <cstddef>
#include <vector>

namespace remoto::serial::detail {

/// For small, trivially copyable T. Value type.
template <class T, std::size_t N>
class SmallStack {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return i < N ? inline_[i] : more_[i - N]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  void push_back(const T& x) {
    if (size_ < N) [[likely]]
      inline_[size_] = x;
    else
      grow(x);
    ++size_;
  }
  void pop_back() noexcept {
    if (size_ > N) more_.pop_back();
    --size_;
  }

 private:
  [[gnu::noinline]] void grow(const T& x) { more_.push_back(x); }

  T inline_[N];
  std::vector<T> more_;
  std::size_t size_ = 0;
};

}  // namespace remoto::serial::detail
