// Lesson 1: threads. main starts three threads that run at the same time, each counting three
// steps with a short pause, then waits for (joins) every one of them before it ends. Run it a
// few times: the lines of different threads interleave differently, because the threads
// really do run concurrently.
// Usage: example_01_threads
#include <chrono>
#include <iostream>
#include <syncstream>
#include <thread>
#include <vector>

int main() {
  constexpr int thread_count = 3;
  std::vector<std::thread> threads;
  for (int id = 1; id <= thread_count; ++id) {
    // The lambda is what the new thread runs; `id` is copied into it.
    threads.emplace_back([id] {
      for (int step = 1; step <= 3; ++step) {
        // osyncstream writes each line in one piece, so lines of different threads don't mix.
        std::osyncstream(std::cout) << "thread " << id << ": step " << step << '\n';
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * id));
      }
      std::osyncstream(std::cout) << "thread " << id << ": done\n";
    });
    std::osyncstream(std::cout) << "main: started thread " << id << '\n';
  }
  // join() waits for a thread to finish. A std::thread still joinable when it is destroyed
  // ends the program (std::terminate); std::jthread joins by itself instead.
  for (auto& thread : threads) thread.join();
  std::cout << "main: all " << thread_count << " threads joined" << std::endl;
}
