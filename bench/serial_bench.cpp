// Encode and decode throughput of remoto's four serializers, on the payloads that
// bench/make_serial_data.py wrote with Pyro4 (bench/data/): a small call, echo("hello world"),
// and a medium dict of 1,000 mixed entries. Next to them, the raw C++ libraries on the same
// bytes: msgpack-cxx unpacking to its own object (and packing it back), nlohmann-json parsing
// to its own DOM (and dumping it). Bytes processed are always the size of the Pyro4-written
// payload file, so MB/s compare across implementations (and with bench/serial_python.py).
//
// Benchmark names: <op>/<payload>/<format>/<impl>, e.g. decode/medium/msgpack/remoto.
// Data directory: $REMOTO_BENCH_DATA, else bench/data next to this source file.
// Run through bench/serial.sh for the side-by-side table.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "remoto/serial/serializer.hpp"
#include "remoto/value/value.hpp"

namespace {

namespace serial = remoto::serial;

std::filesystem::path data_dir() {
  if (const char* dir = std::getenv("REMOTO_BENCH_DATA")) return dir;
  return std::filesystem::path(__FILE__).parent_path() / "data";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path.string() + " (run bench/make_serial_data.py)");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The payloads live for the whole run; benchmarks capture them by reference.
struct Payload {
  std::string kind;    // "small" (a call) or "medium" (a value)
  std::string format;  // serializer name
  std::string bytes;
};

void register_remoto(const Payload& p) {
  const serial::Serializer& ser = *serial::find_serializer(p.format);
  const auto size = static_cast<std::int64_t>(p.bytes.size());
  const std::string suffix = "/" + p.kind + "/" + p.format + "/remoto";
  if (p.kind == "small") {
    // Decoded once up front: also checks that remoto reads what Pyro4 wrote.
    const serial::Call call = ser.decode_call(p.bytes);
    benchmark::RegisterBenchmark(("decode" + suffix).c_str(),
                                 [&ser, &p, size](benchmark::State& state) {
                                   for (auto _ : state)
                                     benchmark::DoNotOptimize(ser.decode_call(p.bytes));
                                   state.SetBytesProcessed(state.iterations() * size);
                                 });
    benchmark::RegisterBenchmark(
        ("encode" + suffix).c_str(), [&ser, call, size](benchmark::State& state) {
          for (auto _ : state) benchmark::DoNotOptimize(ser.encode_call(call));
          state.SetBytesProcessed(state.iterations() * size);
          state.counters["out_bytes"] = static_cast<double>(ser.encode_call(call).size());
        });
  } else {
    const remoto::Value value = ser.decode(p.bytes);
    if (!value.is_dict() || value.as_dict().size() != 1000) {
      throw std::runtime_error(p.kind + "." + p.format + " did not decode to a dict of 1000");
    }
    benchmark::RegisterBenchmark(("decode" + suffix).c_str(),
                                 [&ser, &p, size](benchmark::State& state) {
                                   for (auto _ : state)
                                     benchmark::DoNotOptimize(ser.decode(p.bytes));
                                   state.SetBytesProcessed(state.iterations() * size);
                                 });
    benchmark::RegisterBenchmark(
        ("encode" + suffix).c_str(), [&ser, value, size](benchmark::State& state) {
          for (auto _ : state) benchmark::DoNotOptimize(ser.encode(value));
          state.SetBytesProcessed(state.iterations() * size);
          state.counters["out_bytes"] = static_cast<double>(ser.encode(value).size());
        });
  }
}

// msgpack-cxx: unpack to its own object tree (zone-allocated), pack that tree back.
void register_msgpack_cxx(const Payload& p) {
  const auto size = static_cast<std::int64_t>(p.bytes.size());
  const std::string suffix = "/" + p.kind + "/msgpack/msgpack-cxx";
  benchmark::RegisterBenchmark(("decode" + suffix).c_str(), [&p, size](benchmark::State& state) {
    for (auto _ : state) {
      msgpack::object_handle handle = msgpack::unpack(p.bytes.data(), p.bytes.size());
      benchmark::DoNotOptimize(handle.get());
    }
    state.SetBytesProcessed(state.iterations() * size);
  });
  // The floor under any decoder built on msgpack-cxx's visitor parser (as remoto's is): the
  // parser alone, calling a visitor that does nothing. Not in the table (op "parse").
  benchmark::RegisterBenchmark(
      ("parse/" + p.kind + "/msgpack/msgpack-cxx-null-visitor").c_str(),
      [&p, size](benchmark::State& state) {
        for (auto _ : state) {
          msgpack::null_visitor visitor;
          std::size_t off = 0;
          benchmark::DoNotOptimize(msgpack::parse(p.bytes.data(), p.bytes.size(), off, visitor));
        }
        state.SetBytesProcessed(state.iterations() * size);
      });
  benchmark::RegisterBenchmark(("encode" + suffix).c_str(), [&p, size](benchmark::State& state) {
    const msgpack::object_handle handle = msgpack::unpack(p.bytes.data(), p.bytes.size());
    for (auto _ : state) {
      msgpack::sbuffer buffer;
      msgpack::pack(buffer, handle.get());
      benchmark::DoNotOptimize(buffer.data());
    }
    state.SetBytesProcessed(state.iterations() * size);
  });
}

// nlohmann-json: parse to its DOM, dump that DOM (compact, UTF-8 kept as is).
void register_nlohmann(const Payload& p) {
  const auto size = static_cast<std::int64_t>(p.bytes.size());
  const std::string suffix = "/" + p.kind + "/json/nlohmann-json";
  benchmark::RegisterBenchmark(("decode" + suffix).c_str(), [&p, size](benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(p.bytes));
    state.SetBytesProcessed(state.iterations() * size);
  });
  benchmark::RegisterBenchmark(("encode" + suffix).c_str(), [&p, size](benchmark::State& state) {
    const nlohmann::json dom = nlohmann::json::parse(p.bytes);
    for (auto _ : state) benchmark::DoNotOptimize(dom.dump());
    state.SetBytesProcessed(state.iterations() * size);
  });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  std::vector<Payload> payloads;
  try {
    for (const char* kind : {"small", "medium"}) {
      for (const char* format : {"serpent", "json", "marshal", "msgpack"}) {
        payloads.push_back(
            {kind, format, read_file(data_dir() / (std::string(kind) + "." + format))});
      }
    }
    for (const Payload& p : payloads) {
      register_remoto(p);
      if (p.format == "msgpack") register_msgpack_cxx(p);
      if (p.format == "json") register_nlohmann(p);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "serial_bench: %s\n", e.what());
    return 1;
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
