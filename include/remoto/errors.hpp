// The error hierarchy shared by every layer: the C++ mirror of Pyro4's exception classes
// (Pyro4/errors.py), so an error keeps its Pyro name when it crosses the wire. It sits below
// all layers because serial already throws SerializeError and net already throws
// CommunicationError.
#pragma once

#include <stdexcept>
#include <string>

namespace remoto {

/// Base of all Pyro errors (Python: Pyro4.errors.PyroError).
class PyroError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// The Pyro4 class name, as it travels in an exception dict.
  virtual const char* pyro_class() const noexcept { return "Pyro4.errors.PyroError"; }
};

#define REMOTO_DEFINE_ERROR(Name, Base)                                                \
  class Name : public Base {                                                           \
   public:                                                                             \
    using Base::Base;                                                                  \
    const char* pyro_class() const noexcept override { return "Pyro4.errors." #Name; } \
  }

REMOTO_DEFINE_ERROR(CommunicationError, PyroError);
REMOTO_DEFINE_ERROR(ConnectionClosedError, CommunicationError);
REMOTO_DEFINE_ERROR(TimeoutError, CommunicationError);
REMOTO_DEFINE_ERROR(ProtocolError, CommunicationError);
REMOTO_DEFINE_ERROR(MessageTooLargeError, ProtocolError);
REMOTO_DEFINE_ERROR(SerializeError, ProtocolError);
REMOTO_DEFINE_ERROR(NamingError, PyroError);
REMOTO_DEFINE_ERROR(DaemonError, PyroError);
REMOTO_DEFINE_ERROR(SecurityError, PyroError);

#undef REMOTO_DEFINE_ERROR

/// A Value held another type than the one asked for (Python: TypeError). The message names
/// both, e.g. "expected int, got str".
class TypeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace remoto
