#include "transport/recording.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

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

namespace {

bool is_eol(char c) noexcept {
    return c == '\r' || c == '\n';
}

// What a `: end` line says.
struct EndLine {
    double t = -1;
    Failure failure = Failure::none;
    std::string_view message;
    bool newline_added = false;
};

// `: end[ t=MS][ newline=added][ failure=NAME][ message=TEXT]` after the ": ".
bool parse_end(std::string_view rest, EndLine& out) {
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
    out.t = t;
    // A recording stopped by Ctrl-C just ends there when replayed.
    out.failure = failure == Failure::cancelled ? Failure::none : failure;
    out.message = out.failure == Failure::none ? std::string_view() : message;
    out.newline_added = added;
    return true;
}

// Whether a line whose text after ": " begins with `rest` (all of it, or as much as is read) may
// be one of the recorder's lines that count where the parser is.
bool may_be_ours(std::string_view rest, bool header, bool ended) {
    auto fits = [rest](std::string_view k) {
        return rest.size() < k.size() ? k.starts_with(rest) : rest.starts_with(k);
    };
    if (fits("t=") || fits("response=") || (!ended && fits("end"))) return true;
    return header && (fits(kMagic) || fits("status=") || fits("content-type="));
}

// The file's descriptor, closed with the last copy of the reader's source.
struct Fd {
    explicit Fd(int f) : fd(f) {}
    ~Fd() { ::close(fd); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int fd;
};

}  // namespace

std::size_t RecordingReader::Finder::find(const std::string& buf, std::size_t from,
                                          std::size_t end) {
    if (from < lo || from > at) lo = at = from;
    if (at < end && buf[at] == c) return at;
    const void* hit = std::memchr(buf.data() + at, c, end - at);
    at =
        hit != nullptr ? static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data()) : end;
    return at;
}

void RecordingReader::Finder::shift(std::size_t by) noexcept {
    lo = lo > by ? lo - by : 0;
    at = at > by ? at - by : 0;
}

RecordingReader::RecordingReader(Source source, std::size_t read_size)
    : source_(std::move(source)), read_size_(read_size == 0 ? kReadSize : read_size) {}

std::unique_ptr<RecordingReader> RecordingReader::open(const std::string& path,
                                                       std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return nullptr;
    }
    auto file = std::make_shared<Fd>(fd);
    auto reader = std::make_unique<RecordingReader>(
        [file](char* buf, std::size_t size) -> long { return ::read(file->fd, buf, size); });
    if (!reader->fill()) {
        error = reader->error_;
        return nullptr;
    }
    return reader;
}

std::unique_ptr<RecordingReader> RecordingReader::of(std::string text, std::size_t read_size) {
    if (read_size == 0) read_size = std::max<std::size_t>(text.size(), 1);
    auto state = std::make_shared<std::pair<std::string, std::size_t>>(std::move(text), 0);
    return std::make_unique<RecordingReader>(
        [state](char* buf, std::size_t size) -> long {
            auto& [all, at] = *state;
            const std::size_t n = std::min(size, all.size() - at);
            std::memcpy(buf, all.data() + at, n);
            at += n;
            return static_cast<long>(n);
        },
        read_size);
}

// Moves what is not consumed to the front and reads once more: false when that read failed (or
// the file had already ended).
bool RecordingReader::fill() {
    if (eof_ || !error_.empty()) return false;
    if (pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        lf_.shift(pos_);
        cr_.shift(pos_);
        pos_ = 0;
    }
    if (buf_.size() < end_ + read_size_) buf_.resize(end_ + read_size_);
    for (;;) {
        const long n = source_(buf_.data() + end_, read_size_);
        if (n < 0) {
            if (errno == EINTR) continue;
            error_ = std::strerror(errno);
            return false;
        }
        if (n == 0)
            eof_ = true;
        else
            end_ += static_cast<std::size_t>(n);
        return true;
    }
}

// A BOM that begins the file: a piece of the first body of its own, given after the head.
bool RecordingReader::check_bom() {
    while (end_ - pos_ < kBom.size() && !eof_ &&
           kBom.starts_with(std::string_view(buf_.data() + pos_, end_ - pos_)))
        if (!fill()) return false;
    if (std::string_view(buf_.data() + pos_, end_ - pos_).starts_with(kBom)) {
        pos_ += kBom.size();
        bom_ = true;
        started_ = true;
    }
    return true;
}

// Where the line that `from` is in ends: its first "\r" or "\n", or end_.
std::size_t RecordingReader::eol_at(std::size_t from) {
    return std::min(lf_.find(buf_, from, end_), cr_.find(buf_, from, end_));
}

// The line that starts at `at`, as the whole-file parser would read it once it is all there.
RecordingReader::Line RecordingReader::classify(std::size_t at) {
    Line l;
    l.eol = std::string::npos;
    const std::size_t avail = end_ - at;
    if (avail == 0 || (avail == 1 && buf_[at] == ':')) {
        if (!eof_) l.kind = Line::Kind::undecided;
        return l;
    }
    if (buf_[at] != ':' || buf_[at + 1] != ' ') return l;
    const std::size_t eol = eol_at(at);
    l.eol = eol;
    const std::string_view rest(buf_.data() + at + 2, eol - at - 2);
    if (!may_be_ours(rest, header_, ended_) || eol - at > kMaxLine) return l;
    if (!eof_ && (eol == end_ || (buf_[eol] == '\r' && eol + 1 == end_))) {
        l.kind = Line::Kind::undecided;  // its end, or whether "\r" is followed by "\n", is unread
        return l;
    }
    l.next = eol == end_                                                    ? end_
             : buf_[eol] == '\r' && eol + 1 < end_ && buf_[eol + 1] == '\n' ? eol + 2
                                                                            : eol + 1;
    EndLine e;
    if (header_ && rest.starts_with(kMagic) && all_digits(rest.substr(kMagic.size()))) {
        l.kind = Line::Kind::magic;  // nothing to keep (every version so far reads the same)
    } else if (header_ && rest.starts_with("status=") && parse_status(rest.substr(7), l.status)) {
        l.kind = Line::Kind::status;
    } else if (header_ && rest.starts_with("content-type=")) {
        l.kind = Line::Kind::content_type;
        l.value = rest.substr(13);
    } else if (rest.starts_with("t=") && parse_ms(rest.substr(2), l.ms)) {
        l.kind = Line::Kind::time;
    } else if (parse_response(rest, l.status)) {
        l.kind = Line::Kind::response;
    } else if (!ended_ && parse_end(rest, e)) {
        l.kind = Line::Kind::end;
        l.end_ms = e.t;
        l.failure = e.failure;
        l.message = e.message;
        l.newline_added = e.newline_added;
    }
    return l;  // else: a comment of the server's, body
}

// Body lines from pos_: where they stop, at a recognised line or where more must be read (or,
// at the end of the file, at end_).
RecordingReader::Scan RecordingReader::scan() {
    std::size_t p = pos_;
    bool at_start = line_start_;
    for (;;) {
        std::size_t eol = std::string::npos;
        if (at_start) {
            if (p == end_) return {p, false, {}};
            Line l = classify(p);
            if (l.kind == Line::Kind::undecided) return {p, false, {}};
            if (l.kind != Line::Kind::body) return {p, true, l};
            eol = l.eol;
        }
        if (eol == std::string::npos) eol = eol_at(p);
        if (eol == end_) return {end_, false, {}};
        if (buf_[eol] == '\n')
            p = eol + 1;
        else if (eol + 1 < end_)
            p = buf_[eol + 1] == '\n' ? eol + 2 : eol + 1;
        else if (eof_)
            p = end_;
        else
            return {end_, false, {}};  // a "\r" last: whether a "\n" follows, the next read tells
        at_start = true;
    }
}

void RecordingReader::begin_response(long status) {
    status_ = status;
    content_type_ = "text/event-stream";
    header_ = true;
    ended_ = false;
    end_ms_ = -1;
    failure_ = Failure::none;
    message_.clear();
    chunk_ms_ = 0;
    fresh_ = true;
    started_ = true;
    phase_ = Phase::head;
}

const RecordingReader::Item& RecordingReader::give_data(std::size_t from, std::size_t to) {
    item_.kind = Item::Kind::data;
    item_.t_ms = chunk_ms_;
    item_.bytes = std::string_view(buf_.data() + from, to - from);
    item_.first = fresh_;
    fresh_ = false;
    return item_;
}

const RecordingReader::Item& RecordingReader::give_error() {
    item_.kind = Item::Kind::error;
    item_.message = error_;
    in_response_ = false;
    return item_;
}

const RecordingReader::Item& RecordingReader::next() {
    if (peeked_) {
        peeked_ = false;
        return item_;
    }
    // The head is final once the body begins (or the response ends); its BOM and, when the end
    // came first, its end follow it.
    auto head_done = [this](bool response_over) {
        give_head_ = true;
        give_bom_ = bom_;
        bom_ = false;
        give_end_ = ended_ || response_over;
        if (!response_over) phase_ = ended_ ? Phase::skip : Phase::body;
    };
    for (;;) {
        if (give_head_) {
            give_head_ = false;
            item_.kind = Item::Kind::head;
            item_.status = status_;
            item_.content_type = content_type_;
            in_response_ = true;
            fresh_ = true;
            return item_;
        }
        if (give_bom_) {
            give_bom_ = false;
            item_.kind = Item::Kind::data;
            item_.t_ms = 0;
            item_.bytes = kBom;
            item_.first = true;
            fresh_ = true;
            return item_;
        }
        if (give_end_) {
            give_end_ = false;
            item_.kind = Item::Kind::end;
            item_.end_ms = end_ms_;
            item_.failure = failure_;
            item_.message = message_;
            in_response_ = false;
            return item_;
        }
        if (give_begin_) {
            give_begin_ = false;
            begin_response(next_status_);
        }
        if (give_eof_) {
            item_.kind = Item::Kind::eof;
            return item_;
        }
        if (!error_.empty()) return give_error();

        switch (phase_) {
            case Phase::bom:
                if (!check_bom()) return give_error();
                phase_ = Phase::head;
                break;

            case Phase::head: {  // a line at a time, each at a line start
                if (pos_ == end_ && eof_) {
                    head_done(true);
                    give_eof_ = true;
                    break;
                }
                const Line l = classify(pos_);
                if (l.kind == Line::Kind::undecided) {
                    if (!fill()) return give_error();
                    break;
                }
                switch (l.kind) {
                    case Line::Kind::body:  // read again as body
                        header_ = false;
                        head_done(false);
                        break;
                    case Line::Kind::status:
                        status_ = l.status;
                        break;
                    case Line::Kind::content_type:
                        content_type_.assign(l.value);
                        break;
                    case Line::Kind::time:
                        chunk_ms_ = l.ms;
                        header_ = false;
                        head_done(false);
                        break;
                    case Line::Kind::response:
                        if (started_) {
                            head_done(true);
                            give_begin_ = true;
                            next_status_ = l.status;
                        } else {  // the file's first line
                            status_ = l.status;
                        }
                        break;
                    case Line::Kind::end:
                        end_ms_ = l.end_ms;
                        failure_ = l.failure;
                        message_.assign(l.message);
                        ended_ = true;
                        break;
                    default:
                        break;
                }
                started_ = true;
                if (l.kind != Line::Kind::body) {
                    pos_ = l.next;
                    line_start_ = true;
                }
                break;
            }

            case Phase::body: {
                const Scan s = scan();
                if (s.line) {
                    const Line& l = s.found;
                    if (s.at > pos_) {
                        std::size_t to = s.at;
                        // the "\n" before `: end ... newline=added` is not the server's
                        if (l.kind == Line::Kind::end && l.newline_added && buf_[to - 1] == '\n')
                            --to;
                        const std::size_t from = pos_;
                        pos_ = s.at;
                        line_start_ = true;
                        if (to > from) return give_data(from, to);  // the line comes next
                    }
                    switch (l.kind) {
                        case Line::Kind::time:
                            chunk_ms_ = l.ms;
                            fresh_ = true;
                            break;
                        case Line::Kind::end:
                            end_ms_ = l.end_ms;
                            failure_ = l.failure;
                            message_.assign(l.message);
                            ended_ = true;
                            give_end_ = true;
                            phase_ = Phase::skip;
                            break;
                        case Line::Kind::response:
                            give_end_ = true;
                            give_begin_ = true;
                            next_status_ = l.status;
                            break;
                        default:  // the header lines count only before the body
                            break;
                    }
                    pos_ = l.next;
                    line_start_ = true;
                    break;
                }
                if (eof_ && s.at == end_) {
                    if (end_ > pos_) {
                        const std::size_t from = pos_;
                        pos_ = end_;
                        return give_data(from, end_);
                    }
                    give_end_ = true;  // the file ends: so does the response
                    give_eof_ = true;
                    break;
                }
                // A line end last is kept: what follows it decides (`newline=added`, "\r\n").
                std::size_t to = s.at;
                if (to > pos_ && is_eol(buf_[to - 1])) --to;
                if (to > pos_) {
                    const std::size_t from = pos_;
                    pos_ = to;
                    line_start_ = false;
                    return give_data(from, to);
                }
                if (!fill()) return give_error();
                break;
            }

            case Phase::skip: {  // after `: end`: nothing is body until the next response
                const Scan s = scan();
                if (s.line) {
                    if (s.found.kind == Line::Kind::response) {
                        give_begin_ = true;
                        next_status_ = s.found.status;
                    }
                    pos_ = s.found.next;
                    line_start_ = true;
                    break;
                }
                if (eof_ && s.at == end_) {
                    pos_ = end_;
                    give_eof_ = true;
                    break;
                }
                std::size_t to = s.at;
                if (to > pos_ && is_eol(buf_[to - 1])) --to;
                if (to > pos_) {
                    pos_ = to;
                    line_start_ = false;
                }
                if (!fill()) return give_error();
                break;
            }
        }
    }
}

void RecordingReader::skip_response() {
    while (in_response_ && !peeked_)
        next();
}

bool RecordingReader::another_response() {
    skip_response();
    if (!peeked_) {
        next();
        peeked_ = true;
    }
    return item_.kind == Item::Kind::head || item_.kind == Item::Kind::error;
}

Recording parse_recording(std::string_view text, std::size_t read_size) {
    Recording rec;
    const auto reader = RecordingReader::of(std::string(text), read_size);
    for (;;) {
        const RecordingReader::Item& it = reader->next();
        if (it.kind == RecordingReader::Item::Kind::head) {
            RecordedResponse& r = rec.responses.emplace_back();
            r.status = it.status;
            r.content_type = it.content_type;
        } else if (it.kind == RecordingReader::Item::Kind::data) {
            auto& chunks = rec.responses.back().chunks;
            if (it.first || chunks.empty())
                chunks.push_back({it.t_ms, std::string(it.bytes)});
            else
                chunks.back().bytes += it.bytes;
        } else if (it.kind == RecordingReader::Item::Kind::end) {
            RecordedResponse& r = rec.responses.back();
            r.end_ms = it.end_ms;
            r.failure = it.failure;
            r.message = it.message;
        } else {
            break;
        }
    }
    if (rec.responses.empty()) rec.responses.emplace_back();
    return rec;
}

}  // namespace letta_stream::transport
