// A ChatModel that answers from a script and records every request, for tests of the agent loop.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "agents/model/chat_model.hpp"

namespace agents::testing {

class ScriptedModel final : public ChatModel {
 public:
  /// Each step sees the request; return the answer (or throw).
  using Step = std::function<ChatResponse(const ChatRequest&)>;

  void then(Step step) { steps_.push_back(std::move(step)); }
  void then_say(std::string text) {
    then([text](const ChatRequest&) {
      ChatResponse r;
      r.message = Message::assistant(text);
      r.finish_reason = FinishReason::kStop;
      r.usage = {10, 2, 12};
      return r;
    });
  }
  void then_call(std::vector<ToolCall> calls) {
    then([calls](const ChatRequest&) {
      ChatResponse r;
      r.message = Message::assistant("", calls);
      r.finish_reason = FinishReason::kToolCalls;
      r.usage = {10, 5, 15};
      return r;
    });
  }
  /// When the script runs out: call `tool` forever (for the iteration bound), else fail.
  void forever_call(std::string tool) { forever_ = std::move(tool); }

  ChatResponse complete(const ChatRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    if (steps_.empty()) {
      if (forever_.empty()) throw std::logic_error("ScriptedModel: no step left");
      ChatResponse r;
      r.message = Message::assistant("", {{"call_" + std::to_string(requests.size()), forever_, "{}"}});
      return r;
    }
    Step step = std::move(steps_.front());
    steps_.pop_front();
    return step(request);
  }
  std::string name() const override { return "scripted"; }

  std::vector<ChatRequest> requests;

 private:
  std::mutex mu_;
  std::deque<Step> steps_;
  std::string forever_;
};

}  // namespace agents::testing
