#include "transport/recording.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace letta_stream::transport {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kMagic = "letta-stream recording ";
constexpr int kVersion = 1;

// The failures worth keeping: how a transfer that had a head ended. `aborted` is the handler's
// own doing (a replay does it again); the rest cannot happen after a head.
constexpr struct {
    Failure failure;
    std::string_view name;
} kFailureNames[] = {
    {Failure::dropped, "dropped"},
    {Failure::timeout, "timeout"},
    {Failure::bad_encoding, "bad_encoding"},
    {Failure::tls, "tls"},
    {Failure::cancelled, "cancelled"},
    {Failure::other, "other"},
};

// A value on one comment line: no line ends in it.
std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c == '\r' || c == '\n') c = ' ';
    return out;
}

void append_ms(std::string& out, double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ms < 0 ? 0.0 : ms);
    out += buf;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// "123" or "123.4": what the writer writes (and a hand-written "5" or "5.25").
bool parse_ms(std::string_view s, double& out) {
    const auto dot = s.find('.');
    if (!all_digits(s.substr(0, dot))) return false;
    if (dot != std::string_view::npos && !all_digits(s.substr(dot + 1))) return false;
    out = std::strtod(std::string(s).c_str(), nullptr);
    // A week at most: a longer "time" is not one of ours (and would overflow nanoseconds).
    return out <= 7 * 24 * 3600 * 1000.0;
}

bool parse_status(std::string_view s, long& out) {
    if (!all_digits(s) || s.size() != 3) return false;
    out = std::strtol(std::string(s).c_str(), nullptr, 10);
    return out >= 100;
}

// `: end[ t=MS][ newline=added][ failure=NAME][ message=TEXT]` after the ": ".
bool parse_end(std::string_view rest, RecordedResponse& r, bool& newline_added) {
    if (rest != "end" && !rest.starts_with("end ")) return false;
    rest.remove_prefix(3);
    double t = -1;
    Failure failure = Failure::none;
    std::string_view message;
    bool added = false;
    while (!rest.empty()) {
        if (rest.front() != ' ') return false;
        rest.remove_prefix(1);
        if (rest.starts_with("message=")) {
            message = rest.substr(8);
            break;
        }
        const std::string_view token = rest.substr(0, rest.find(' '));
        rest.remove_prefix(token.size());
        if (token.starts_with("t=")) {
            if (!parse_ms(token.substr(2), t)) return false;
        } else if (token == "newline=added") {
            added = true;
        } else if (token.starts_with("failure=")) {
            failure = failure_from_name(token.substr(8));
        } else {
            return false;
        }
    }
    r.end_ms = t;
    // A recording stopped by Ctrl-C just ends there when replayed.
    r.failure = failure == Failure::cancelled ? Failure::none : failure;
    r.message = r.failure == Failure::none ? std::string() : std::string(message);
    newline_added = added;
    return true;
}

// `: response=K status=N` after the ": ".
bool parse_response(std::string_view rest, long& status) {
    if (!rest.starts_with("response=")) return false;
    rest.remove_prefix(9);
    const auto space = rest.find(' ');
    if (space == std::string_view::npos || !all_digits(rest.substr(0, space))) return false;
    rest.remove_prefix(space + 1);
    return rest.starts_with("status=") && parse_status(rest.substr(7), status);
}

}  // namespace

std::string_view failure_name(Failure failure) noexcept {
    for (const auto& f : kFailureNames)
        if (f.failure == failure) return f.name;
    return failure == Failure::none ? std::string_view() : "other";
}

Failure failure_from_name(std::string_view name) noexcept {
    for (const auto& f : kFailureNames)
        if (f.name == name) return f.failure;
    return Failure::other;
}

// ---- RecordingWriter ---------------------------------------------------------------------------

std::string_view RecordingWriter::begin(long status, std::string_view content_type) {
    std::string closing;  // the previous response never ended (on_done always comes): untimed
    if (open_) closing = std::string(end(-1, Failure::none, {}));
    out_ = std::move(closing);
    ++responses_;
    std::string lines;
    if (responses_ == 1)
        lines = std::string(": ") + std::string(kMagic) + std::to_string(kVersion) + "\n: status=" +
                std::to_string(status) + "\n";
    else
        lines = ": response=" + std::to_string(responses_) + " status=" + std::to_string(status) +
                "\n";
    lines += ": content-type=" + one_line(content_type) + "\n";
    open_ = true;
    at_ = At::line_start;
    pending_ms_ = -1;
    if (responses_ == 1) {
        // Held until the body's first bytes show whether it starts with a BOM: a BOM must stay
        // the file's first bytes, where any SSE parser skips it.
        header_ = std::move(lines);
        probe_.clear();
        probing_ = true;
        return out_;
    }
    out_ += lines;
    return out_;
}

std::string_view RecordingWriter::data(std::string_view bytes, double t_ms) {
    out_.clear();
    if (!open_ || bytes.empty()) return out_;
    if (probing_) {
        probe_.append(bytes);
        if (probe_.size() < kBom.size() && kBom.starts_with(probe_)) {
            pending_ms_ = t_ms;
            return out_;
        }
        probing_ = false;
        const bool bom = probe_.starts_with(kBom);
        if (bom) out_ += kBom;
        out_ += header_;
        header_.clear();
        body(std::string_view(probe_).substr(bom ? kBom.size() : 0), t_ms);
        return out_;
    }
    body(bytes, t_ms);
    return out_;
}

void RecordingWriter::body(std::string_view bytes, double t_ms) {
    pending_ms_ = t_ms;  // a later read's time replaces one that found no boundary yet
    if (bytes.empty()) return;
    std::size_t at = std::string_view::npos;  // where the time goes: the first line boundary
    switch (at_) {
        case At::line_start:
            at = 0;
            break;
        case At::after_cr:  // the "\n" of a "\r\n" split between reads ends the previous line
            at = bytes.front() == '\n' ? 1 : 0;
            break;
        case At::mid_line: {
            const auto i = bytes.find_first_of("\r\n");
            if (i == std::string_view::npos) break;
            if (bytes[i] == '\n')
                at = i + 1;
            else if (i + 1 < bytes.size())
                at = bytes[i + 1] == '\n' ? i + 2 : i + 1;
            // else: a "\r" ends the read; whether a "\n" follows, the next read tells
            break;
        }
    }
    if (at != std::string_view::npos) {
        out_.append(bytes.substr(0, at));
        out_ += ": t=";
        append_ms(out_, pending_ms_);
        out_ += '\n';
        pending_ms_ = -1;
        out_.append(bytes.substr(at));
    } else {
        out_.append(bytes);
    }
    const char last = bytes.back();
    at_ = last == '\n' ? At::line_start : last == '\r' ? At::after_cr : At::mid_line;
}

void RecordingWriter::flush_probe() {
    if (!probing_) return;
    probing_ = false;
    out_ += header_;
    header_.clear();
    const std::string probe = std::move(probe_);
    probe_.clear();
    body(probe, pending_ms_ >= 0 ? pending_ms_ : 0);
}

std::string_view RecordingWriter::end(double t_ms, Failure failure, std::string_view message) {
    out_.clear();
    if (!open_) return out_;
    flush_probe();
    const bool added = at_ == At::mid_line;
    if (added) out_ += '\n';
    out_ += ": end";
    if (t_ms >= 0) {
        out_ += " t=";
        append_ms(out_, t_ms);
    }
    if (added) out_ += " newline=added";
    const std::string_view name = failure_name(failure);
    if (failure != Failure::aborted && !name.empty()) {
        out_ += " failure=";
        out_ += name;
        if (!message.empty()) out_ += " message=" + one_line(message);
    }
    out_ += '\n';
    open_ = false;
    at_ = At::line_start;
    pending_ms_ = -1;
    return out_;
}

// ---- RecordingFile -----------------------------------------------------------------------------

RecordingFile::RecordingFile(const std::string& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)),
      error_(fd_ < 0 ? errno : 0) {}

RecordingFile::~RecordingFile() {
    if (fd_ >= 0) ::close(fd_);
}

void RecordingFile::write(std::string_view text) {
    while (fd_ >= 0 && error_ == 0 && !text.empty()) {
        const ssize_t n = ::write(fd_, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            error_ = errno;
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

void RecordingFile::begin(long status, std::string_view content_type) {
    write(writer_.begin(status, content_type));
}

void RecordingFile::data(std::string_view bytes, double t_ms) {
    if (error_ == 0) write(writer_.data(bytes, t_ms));
}

void RecordingFile::end(double t_ms, Failure failure, std::string_view message) {
    write(writer_.end(t_ms, failure, message));
}

int RecordingFile::close() {
    if (fd_ >= 0) {
        if (::close(fd_) != 0 && error_ == 0) error_ = errno;
        fd_ = -1;
    }
    return error_;
}

// ---- RecordingHandler --------------------------------------------------------------------------

RecordingHandler::RecordingHandler(Handler& inner, RecordingFile& file, const util::Clock& clock)
    : inner_(inner), file_(file), clock_(clock), start_ns_(clock.now_ns()) {}

double RecordingHandler::elapsed_ms() const {
    return static_cast<double>(clock_.now_ns() - start_ns_) / 1e6;
}

Control RecordingHandler::on_head(const ResponseHead& head) {
    head_ = true;
    file_.begin(head.status, head.header("content-type"));
    return inner_.on_head(head);
}

Control RecordingHandler::on_data(std::string_view bytes) {
    file_.data(bytes, elapsed_ms());  // first: a run killed while the chain works keeps it
    return inner_.on_data(bytes);
}

void RecordingHandler::on_done(const Result& result) {
    if (head_) file_.end(elapsed_ms(), result.failure, result.message);
    inner_.on_done(result);
}

// ---- the reader --------------------------------------------------------------------------------

Recording parse_recording(std::string text) {
    Recording rec;
    rec.text = std::make_shared<const std::string>(std::move(text));
    const std::string_view s = *rec.text;
    std::size_t pos = s.starts_with(kBom) ? kBom.size() : 0;

    RecordedResponse cur;
    bool started = pos > 0;  // anything of the current response seen
    bool header = true;      // still before its body: the header lines count
    bool ended = false;      // after its `: end` line: nothing is body until the next response
    std::size_t chunk_start = pos;
    double chunk_ms = 0;
    if (pos > 0) cur.chunks.push_back({0, kBom});  // the BOM that began the first body
    auto close_chunk = [&](std::size_t end) {
        if (!ended && end > chunk_start)
            cur.chunks.push_back({chunk_ms, s.substr(chunk_start, end - chunk_start)});
    };

    while (pos < s.size()) {
        const std::size_t line_start = pos;
        const std::size_t eol = std::min(s.find_first_of("\r\n", pos), s.size());
        pos = eol == s.size()                                            ? eol
              : s[eol] == '\r' && eol + 1 < s.size() && s[eol + 1] == '\n' ? eol + 2
                                                                           : eol + 1;
        const std::string_view line = s.substr(line_start, eol - line_start);
        if (!line.starts_with(": ")) {
            header = false;
            started = true;
            continue;
        }
        const std::string_view rest = line.substr(2);
        double ms = 0;
        long status = 0;
        bool newline_added = false;
        if (header && rest.starts_with(kMagic) && all_digits(rest.substr(kMagic.size()))) {
            // the first line: nothing to keep (every version so far reads the same)
        } else if (header && rest.starts_with("status=") && parse_status(rest.substr(7), status)) {
            cur.status = status;
        } else if (header && rest.starts_with("content-type=")) {
            cur.content_type = std::string(rest.substr(13));
        } else if (rest.starts_with("t=") && parse_ms(rest.substr(2), ms)) {
            close_chunk(line_start);
            chunk_ms = ms;
            header = false;
        } else if (parse_response(rest, status)) {
            close_chunk(line_start);
            if (started || !rec.responses.empty()) rec.responses.push_back(std::move(cur));
            cur = RecordedResponse{};
            cur.status = status;
            header = true;
            ended = false;
            chunk_ms = 0;
        } else if (!ended && parse_end(rest, cur, newline_added)) {
            const bool strip = newline_added && line_start > chunk_start && s[line_start - 1] == '\n';
            close_chunk(line_start - (strip ? 1 : 0));
            ended = true;
        } else {
            header = false;  // a comment of the server's: body
            started = true;
            continue;
        }
        started = true;
        chunk_start = pos;
    }
    close_chunk(s.size());
    rec.responses.push_back(std::move(cur));
    return rec;
}

bool read_recording(const std::string& path, Recording& out, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    std::string text;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            error = std::strerror(errno);
            ::close(fd);
            return false;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    out = parse_recording(std::move(text));
    return true;
}

}  // namespace letta_stream::transport
