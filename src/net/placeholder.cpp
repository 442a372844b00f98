// Keeps the net library non-empty until its first source lands.
namespace remoto::net::detail {
int placeholder() {
  return 0;
}
}  // namespace remoto::net::detail
