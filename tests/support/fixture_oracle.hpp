// The test oracle for every recorded stream in tests/fixtures/letta/ (from that folder's
// README): the assistant text the official SDK yields, and letta-stream's exit status.
// Streams that end with neither stop_reason nor [DONE] are dropped streams (7); named events
// other than "error" are ignored; [DONE] alone is a proper end (the docs' token example has no
// stop_reason). Shared by the unit replay test and the end-to-end tests.
#pragma once

namespace ls_test {

struct FixtureOracle {
    const char* file;
    const char* text;  // stdout in text mode gets a final newline when this is non-empty
    int status;
};

inline constexpr FixtureOracle kFixtureOracle[] = {
    {"docs_step_streaming_example.sse", "2 + 2 equals 4!", 0},
    {"docs_token_streaming_example.sse", "Why did the scarecrow win", 0},
    {"docs_background_stream_example.sse", "", 7},
    {"docs_hitl_background_approval_request_example.sse", "", 7},
    {"docs_hitl_background_approval_stream_example.sse", "", 7},
    {"legacy_2024_pr1955_internal_monologue_excerpt.sse", "", 7},
    {"letta_code_test_stop_reason_done.sse", "", 0},
    {"sdk_test_error_event.sse", "", 1},
    {"sdk_test_multiline_data.sse", "", 7},
    {"sdk_test_split_multibyte.sse", "", 7},
    {"synth_foreground_token_stream.sse", "Hello! How can I help you today?", 0},
    {"synth_foreground_step_stream.sse", "Hello! How can I help you today?", 0},
    {"synth_foreground_keepalive_ping.sse", "Hello! How can I help you today?", 0},
    {"synth_background_stream.sse", "Hello! How can I help you today?", 0},
    {"synth_background_resume_starting_after_10.sse", " can I help you today?", 0},
    {"synth_foreground_error_before_output.sse", "", 5},
    {"synth_foreground_error_midstream.sse", "Hello! How", 1},
    {"synth_background_error_midstream.sse", "Hello! How", 1},
    {"synth_foreground_cancelled_wrapper_path.sse", "Hello!", 9},
    {"synth_background_cancelled.sse", "Hello!", 9},
    {"synth_cancelled_step_boundary.sse", "", 9},
    {"synth_app_server_openai_chat_completions.sse", "", 0},  // not Letta JSON; ends with [DONE]
};

}  // namespace ls_test
