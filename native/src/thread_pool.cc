#include "thread_pool.h"

namespace gl {

void ThreadPool::resize(int n) {
  if (n < 1) n = 1;
  if (n == size()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stop_ = false;
  // a worker joins jobs started after this point, even if its thread starts running only later
  const long gen = generation_;
  for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, gen] { worker_loop(i, gen); });
}

void ThreadPool::work(int tid) {
  for (;;) {
    long t = next_.fetch_add(1, std::memory_order_relaxed);
    if (t >= count_) return;
    (*job_)(tid, t);
  }
}

void ThreadPool::run(long count, const std::function<void(int, long)>& f) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    for (long t = 0; t < count; ++t) f(0, t);
    return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    job_ = &f;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    busy_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  start_cv_.notify_all();
  work(0);
  std::unique_lock<std::mutex> lk(mu_);
  done_cv_.wait(lk, [this] { return busy_ == 0; });
  job_ = nullptr;
}

void ThreadPool::worker_loop(int tid, long seen) {
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(mu_);
      start_cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    work(tid);
    std::lock_guard<std::mutex> lk(mu_);
    if (--busy_ == 0) done_cv_.notify_one();
  }
}

}  // namespace gl
