#pragma once

// What the Jaeger clients put in Process.tags about the host.

#include <string>

namespace litetrace::detail {

std::string host_name();
// The first non-loopback IPv4 address of an interface that is up, else "127.0.0.1".
std::string preferred_ipv4();

}  // namespace litetrace::detail
