// util::JsonChecker — is this text exactly one JSON value? (tool-call arguments assembled from
// deltas). Reuses its parser between calls, so a check allocates nothing in steady state.
#pragma once

#include <memory>
#include <string_view>

namespace letta_stream::util {

class JsonChecker {
  public:
    JsonChecker();
    ~JsonChecker();
    JsonChecker(const JsonChecker&) = delete;
    JsonChecker& operator=(const JsonChecker&) = delete;

    // True when `text` is one complete JSON value, whitespace around it allowed.
    bool is_one_value(std::string_view text);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace letta_stream::util
