// A small persistent thread pool: the calling thread plus n-1 workers run the tasks 0..count-1 of one job, each task
// claimed once through an atomic counter. Workers sleep on a condition variable between jobs (no spinning: the
// machine is shared). Tasks must write disjoint outputs; which thread runs a task must not change its result.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gl {

class ThreadPool {
 public:
  ThreadPool() = default;
  ~ThreadPool() { resize(1); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads taking part in a job, the caller included.
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Stops the workers and starts n-1 new ones (n >= 1).
  void resize(int n);

  // Runs f(thread_index, task) for task in [0, count); thread_index < size(). Returns when all are done.
  void run(long count, const std::function<void(int, long)>& f);

 private:
  void work(int tid);
  void worker_loop(int tid, long seen);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int, long)>* job_ = nullptr;
  long count_ = 0;
  std::atomic<long> next_{0};
  long generation_ = 0;
  int busy_ = 0;
  bool stop_ = false;
};

}  // namespace gl
