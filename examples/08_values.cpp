// 08: Python values in C++. Builds a value, converts it to and from plain C++ types through
// remoto::Convert (one specialization adds a user type), and writes it with each of Pyro4's
// serializers, as a Python peer would read it. This is the example the README shows.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "remoto/serial/serializer.hpp"
#include "remoto/value/convert.hpp"
#include "remoto/value/repr.hpp"

struct Point {
  double x = 0, y = 0;
};

// The one specialization a user type needs: to and from a dict, as Python code expects.
template <>
struct remoto::Convert<Point> {
  static Value to_value(const Point& p) { return make_dict({{"x", p.x}, {"y", p.y}}); }
  static Point from_value(const Value& v) {
    const Dict& d = v.as_dict();
    return {remoto::from_value<double>(*d.find("x")), remoto::from_value<double>(*d.find("y"))};
  }
};

int main() {
  std::map<std::string, std::vector<Point>> shapes{{"triangle", {{0, 0}, {1, 0}, {0, 1}}}};
  remoto::Value value = remoto::to_value(shapes);
  std::printf("repr:    %s\n", remoto::python_repr(value).c_str());

  for (const char* name : {"serpent", "json", "marshal", "msgpack"}) {
    const auto& serializer = *remoto::serial::find_serializer(name);
    std::string bytes = serializer.encode(value);
    auto back =
        remoto::from_value<std::map<std::string, std::vector<Point>>>(serializer.decode(bytes));
    std::printf("%-8s %4zu bytes, triangle[1].x = %g\n", name, bytes.size(), back["triangle"][1].x);
  }
  std::printf("serpent: %s\n", remoto::serial::serpent().encode(value).c_str());

  try {
    (void)remoto::from_value<std::vector<int>>(remoto::Value::list({1, "two"}));
  } catch (const remoto::TypeError& e) {
    std::printf("error:   %s\n", e.what());
  }
}
