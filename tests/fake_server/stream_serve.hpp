// Serving one scenario response entry on a connection: headers, then the body pipeline
// source → transforms (line endings, data:, BOM) → splitting into writes → BodyWriter,
// with token pacing, cancellation, raw tails and endless pings.
#pragma once

#include <memory>

#include "http.hpp"
#include "scenario.hpp"
#include "state.hpp"

namespace fls {

struct ServeOptions {
    std::shared_ptr<RunRecord> run;  // may be null (no run bookkeeping, no cancellation)
    const GenIds* ids = nullptr;     // required when the entry has `generate` or `openai`
    long long starting_after = -1;   // >= 0: resume, only events with seq_id > this
};

// Writes the complete response. Closes the connection when the framing or a fault requires it.
void serve_entry(Conn& conn, const ResponseEntry& e, const ServeOptions& opt);

}  // namespace fls
