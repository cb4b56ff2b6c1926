// protocol::dialects — the requests of the other wire dialects, as data (the Letta ones are in
// letta_api.hpp): OpenAI chat completions, the tutorial's FastAPI proxy, any SSE endpoint.
#pragma once

#include <string>
#include <string_view>

#include "protocol/letta_api.hpp"

namespace letta_stream::protocol {

// POST {base}/v1/chat/completions (or `url`), streaming, asking for the usage chunk:
// {"model":…,"stream":true,"stream_options":{"include_usage":true},
//  "messages":[{"role":"user","content":…}]}
HttpCall openai_chat(std::string_view model, std::string_view prompt, std::string_view url = {});

// POST `url` with {"agent_id":…,"message":…} (the tutorial's proxy).
HttpCall simple_message(std::string_view url, std::string_view agent_id, std::string_view prompt);

// GET `url`, or POST it with `body` when `post`.
HttpCall raw_sse(std::string_view url, bool post, std::string_view body);

}  // namespace letta_stream::protocol
