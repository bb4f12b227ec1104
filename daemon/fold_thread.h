// FoldThread: keeps a node's projections caught up with its log in the background.
//
// Bulk writes (an import, a sync batch) are acknowledged once durable; folding them into
// the projections and deriving their alerts happens here, on its own thread, while the
// next batch is being written. Queries still read their writes: they call
// Projector::CatchUp themselves, which folds whatever this thread has not reached yet.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "projections/projector.h"

namespace holdfast {

class FoldThread {
 public:
  explicit FoldThread(Projector* projector);
  // Finishes the fold in progress (not the backlog: the next start catches up from the
  // checkpoint) and joins.
  ~FoldThread();
  FoldThread(const FoldThread&) = delete;
  FoldThread& operator=(const FoldThread&) = delete;

  // The log has grown: fold it soon. Cheap and callable from any thread.
  void Notify();

 private:
  void Run();

  Projector* projector_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace holdfast
