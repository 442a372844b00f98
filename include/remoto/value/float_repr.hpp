// CPython's repr() of a float: the shortest text that reads back to the same double, in fixed
// notation when the decimal exponent is in [-4, 16), else d.ddde±XX; always with '.' or 'e'.
// Serpent and json write floats this way, and `remoto convert -t repr` prints them so.
#pragma once

#include <string>

namespace remoto {

/// "1.0", "-0.0", "0.1", "1e-05", "1e+16", "1.2345678901234568e+17", "inf", "-inf", "nan".
std::string python_float_repr(double d);

}  // namespace remoto
