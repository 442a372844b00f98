// Keeps the services library non-empty until its first source lands.
namespace remoto::services::detail {
int placeholder() {
  return 0;
}
}  // namespace remoto::services::detail
