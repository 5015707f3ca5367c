// ProcessorNode: runs a user's Processor (the low-level API) as a node of a
// task. Not API (brook/detail/); one instance per task.
#pragma once

#include <memory>
#include <string>

#include "brook/processor.h"

namespace brook {

// Runs a user Processor as a node.
template <class KIn, class VIn, class KOut, class VOut>
class ProcessorNode final : public NodeBase, public Input<KIn, VIn>, public Emitter<KOut, VOut> {
 public:
  ProcessorNode(std::string name, std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor)
      : NodeBase(std::move(name)), processor_(std::move(processor)) {}

  void init(TaskContext& task) override {
    NodeBase::init(task);
    context_ = std::make_unique<ProcessorContext<KOut, VOut>>(*this, task);
    processor_->init(*context_);
  }
  void process(const Record<KIn, VIn>& record) override {
    task().record_time().timestamp = record.timestamp;
    processor_->process(record);
  }
  void close() override { processor_->close(); }

 private:
  std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor_;
  std::unique_ptr<ProcessorContext<KOut, VOut>> context_;
};

}  // namespace brook
