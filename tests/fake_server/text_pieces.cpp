// Splitting reply text into LLM-like token deltas, and the canned default reply.
#include <algorithm>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace fls {

namespace {

bool is_word_byte(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '\'' || c >= 0x80;
}

// Byte offsets of UTF-8 code point starts in s[begin, end).
std::vector<size_t> cp_starts(const std::string& s, size_t begin, size_t end) {
    std::vector<size_t> out;
    for (size_t i = begin; i < end; ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
    return out;
}

}  // namespace

const std::string& default_reply_text() {
    static const std::string text =
        "Quantum computing is a way of processing information that uses the rules of quantum "
        "mechanics instead of the classical rules that govern ordinary computers. A classical "
        "bit is always either 0 or 1, but a quantum bit, or qubit, can exist in a superposition "
        "of both states at once, described by two complex amplitudes. When several qubits "
        "interact they can become entangled, which means their joint state cannot be described "
        "by looking at each qubit on its own. A quantum algorithm choreographs these amplitudes "
        "so that the paths leading to wrong answers interfere destructively and cancel out, "
        "while the paths leading to the right answer reinforce each other. Measuring the qubits "
        "at the end collapses the superposition and yields one classical result, with "
        "probabilities given by the squared amplitudes.\n\nThis is why quantum computers are not "
        "simply faster computers: they only help for problems with structure that interference "
        "can exploit. Famous examples are Shor's algorithm, which factors large integers "
        "exponentially faster than the best known classical methods, and Grover's algorithm, "
        "which searches an unsorted list of N items in about the square root of N steps. The "
        "hard part is engineering: qubits are fragile, and noise from heat, stray fields or "
        "imperfect control pulses destroys their delicate states in microseconds. Today's "
        "machines therefore rely on error mitigation, and the long-term goal is fault-tolerant "
        "quantum computing, where many physical qubits together encode one reliable logical "
        "qubit.";
    return text;
}

// Word-ish pieces: a word with its leading spaces, each punctuation character on its own (with
// its leading spaces), and runs of newlines as separate pieces. Concatenating gives the text back.
std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        if (text[i] == '\n') {
            while (i < text.size() && text[i] == '\n')
                ++i;
            out.push_back(text.substr(start, i - start));
            continue;
        }
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        if (i < text.size() && text[i] != '\n') {
            if (is_word_byte(static_cast<unsigned char>(text[i]))) {
                while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i])))
                    ++i;
            } else {
                ++i;  // one punctuation byte (ASCII)
            }
        }
        out.push_back(text.substr(start, i - start));
    }
    return out;
}

// Exactly n pieces (capped at the number of code points): fewer natural pieces are produced by
// merging neighbours evenly; more by repeatedly halving the longest piece at a character boundary.
std::vector<std::string> split_exact(const std::string& text, size_t n) {
    std::vector<std::string> words = split_words(text);
    size_t ncp = cp_starts(text, 0, text.size()).size();
    n = std::min(n, ncp);
    if (n == 0) return {};
    std::vector<std::string> out;
    if (n <= words.size()) {
        size_t m = words.size();
        for (size_t k = 0; k < n; ++k) {
            std::string piece;
            for (size_t w = k * m / n; w < (k + 1) * m / n; ++w)
                piece += words[w];
            out.push_back(std::move(piece));
        }
        return out;
    }
    out = std::move(words);
    while (out.size() < n) {
        size_t best = 0;
        size_t best_cps = 0;
        for (size_t k = 0; k < out.size(); ++k) {
            size_t c = cp_starts(out[k], 0, out[k].size()).size();
            if (c > best_cps) {
                best_cps = c;
                best = k;
            }
        }
        std::vector<size_t> starts = cp_starts(out[best], 0, out[best].size());
        size_t cut = starts[starts.size() / 2];
        std::string tail = out[best].substr(cut);
        out[best].resize(cut);
        out.insert(out.begin() + static_cast<long>(best) + 1, std::move(tail));
    }
    return out;
}

}  // namespace fls
