#include "util/json_check.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstring>

namespace letta_stream::util {

struct JsonChecker::Impl {
    rapidjson::Reader reader;
};

JsonChecker::JsonChecker() : impl_(std::make_unique<Impl>()) {}
JsonChecker::~JsonChecker() = default;

bool JsonChecker::is_one_value(std::string_view s) {
    // The reader takes NUL as the end of input, which would accept "{}\0junk".
    if (std::memchr(s.data(), '\0', s.size()) != nullptr) return false;
    // A bounded MemoryStream, not StringStream: with RAPIDJSON_SSE2 the latter scans whole
    // aligned 16-byte blocks, which may reach past the end of this string's allocation.
    rapidjson::MemoryStream memory(s.data(), s.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(memory);
    rapidjson::BaseReaderHandler<> ignore;
    // Default flags: the whole input must be exactly one value, whitespace around it allowed.
    return !impl_->reader.Parse(in, ignore).IsError();
}

}  // namespace letta_stream::util
