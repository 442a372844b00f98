// Grouping of UDP echo replies for generic segmentation offload (UDP_SEGMENT): consecutive
// replies to one address, all of one size except a shorter last one, leave as one message that
// the kernel cuts into datagrams. Kept apart from the server so the rule is testable alone.
#pragma once

#include <sys/socket.h>

#include <cstddef>

namespace remoto::services::detail {

/// Most datagrams in one GSO message (Linux's UDP_MAX_SEGMENTS before 6.8).
inline constexpr unsigned max_gso_segments = 64;
/// Most payload bytes in one GSO message: it must fit one IP packet's length field.
inline constexpr std::size_t max_gso_bytes = 65000;

/// How many of the `count` datagrams in `datagrams` (count >= 1), from the first, can go out as
/// one GSO message: same destination (msg_name bytes), each of the first's size (the size is
/// msg_hdr.msg_iov[0].iov_len; one iovec per datagram), except that one shorter datagram may
/// end the group; within max_gso_segments and max_gso_bytes. An empty datagram goes alone.
/// Always at least 1.
unsigned gso_group_length(const ::mmsghdr* datagrams, unsigned count);

}  // namespace remoto::services::detail
