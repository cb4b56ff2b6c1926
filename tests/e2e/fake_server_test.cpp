// Tests of the test infrastructure itself: fake-letta-server over real sockets (checked with a
// raw-socket client, not libcurl) and the run_process() harness.
#include <rapidjson/document.h>
#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/fake_server.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

using namespace ls_test;

namespace {

const char* const kAgentA = "agent-11111111-1111-4111-8111-111111111111";
const char* const kAgentB = "agent-22222222-2222-4222-8222-222222222222";
const char* const kMsgBody = R"({"messages":[{"role":"user","content":"hi"}],"streaming":true})";

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(LS_FIXTURES_DIR) + "/letta/" + name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
        s.replace(p, from.size(), to);
    return s;
}

HttpResponse post(int port, const std::string& target, const std::string& body = kMsgBody,
                  HeaderList headers = {}, long long max_body = -1, int timeout_ms = 5000) {
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.target = target;
    spec.body = body;
    spec.headers = std::move(headers);
    spec.headers.emplace_back("Content-Type", "application/json");
    spec.max_body_bytes = max_body;
    spec.timeout_ms = timeout_ms;
    return http_request(port, spec);
}

HttpResponse post_stream(const FakeServer& s, HeaderList headers = {}) {
    return post(s.port(), "/v1/agents/" + std::string(kAgentA) + "/messages/stream", kMsgBody,
                std::move(headers));
}

HttpResponse get(int port, const std::string& target) {
    HttpRequestSpec spec;
    spec.target = target;
    return http_request(port, spec);
}

std::string one_fixture(const std::string& name, const std::string& extra = "") {
    return R"({"response":{"fixture":")" + name + "\"" + extra + "}}";
}

// Parses every data payload except [DONE]; fails the test on invalid JSON.
std::vector<rapidjson::Document> json_events(const std::string& body) {
    std::vector<rapidjson::Document> out;
    for (const auto& p : sse_data_payloads(body)) {
        if (p == "[DONE]") continue;
        rapidjson::Document d;
        d.Parse(p.c_str(), p.size());
        INFO(p.substr(0, 200));
        REQUIRE_FALSE(d.HasParseError());
        out.push_back(std::move(d));
    }
    return out;
}

std::string assistant_text(const std::vector<rapidjson::Document>& evs) {
    std::string text;
    for (const auto& e : evs)
        if (e.HasMember("message_type") && e["message_type"] == "assistant_message")
            text += e["content"].GetString();
    return text;
}

}  // namespace

TEST_CASE("fake server prints its port and logs requests with headers and body", "[fake_server]") {
    FakeServer s("{}");
    REQUIRE(s.port() > 0);
    HttpResponse h = get(s.port(), "/health");
    CHECK(h.status == 200);
    CHECK(h.body == "ok");
    post(s.port(), "/v1/conversations/default/messages?x=1&y=a%20b",
         R"({"messages":[{"role":"user","content":"hé \"q\""}],"agent_id":"agent-x"})",
         {{"Authorization", "Bearer sk-let-123"}, {"X-Custom-Header", "Yes"}});
    auto reqs = s.wait_for_requests(2);
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].method == "GET");
    CHECK(reqs[0].path == "/health");
    const LoggedRequest& r = reqs[1];
    CHECK(r.seq == 2);
    CHECK(r.method == "POST");
    CHECK(r.path == "/v1/conversations/default/messages");
    CHECK(r.query == "x=1&y=a%20b");
    CHECK(r.header("authorization") == "Bearer sk-let-123");
    CHECK(r.header("x-custom-header") == "Yes");
    CHECK(r.body == R"({"messages":[{"role":"user","content":"hé \"q\""}],"agent_id":"agent-x"})");
    auto doc = r.json_body();
    REQUIRE(doc.IsObject());
    CHECK(std::string(doc["agent_id"].GetString()) == "agent-x");
}

TEST_CASE("agent lookup by name: newest first, limit, URL decoding, 307 without slash",
          "[fake_server]") {
    FakeServer s(std::string(R"({"agents":[)") + R"({"id":")" + kAgentA +
                 R"(","name":"calc","created_at":"2026-01-02T00:00:00Z"},)" + R"({"id":")" +
                 kAgentB + R"(","name":"calc","created_at":"2026-03-02T00:00:00Z"},)" +
                 R"({"id":"agent-33333333-3333-4333-8333-333333333333","name":"my agent"}]})");
    HttpResponse r = get(s.port(), "/v1/agents/?name=calc");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    REQUIRE(d.IsArray());
    REQUIRE(d.Size() == 2);
    CHECK(std::string(d[0]["id"].GetString()) == kAgentB);
    CHECK(std::string(d[1]["id"].GetString()) == kAgentA);
    CHECK(d[0].HasMember("agent_type"));
    d.Parse(get(s.port(), "/v1/agents/?name=calc&limit=1").body.c_str());
    CHECK(d.Size() == 1);
    d.Parse(get(s.port(), "/v1/agents/?name=my+agent").body.c_str());
    CHECK(d.Size() == 1);
    d.Parse(get(s.port(), "/v1/agents/?name=my%20agent&limit=50").body.c_str());
    CHECK(d.Size() == 1);
    d.Parse(get(s.port(), "/v1/agents/?name=nobody").body.c_str());
    CHECK((d.IsArray() && d.Empty()));

    HttpResponse redirect = get(s.port(), "/v1/agents?name=calc");
    CHECK(redirect.status == 307);
    CHECK(redirect.header("location") ==
          "http://127.0.0.1:" + std::to_string(s.port()) + "/v1/agents/?name=calc");
    CHECK(get(s.port(), "/v1/agents/" + std::string(kAgentA)).status == 200);
    HttpResponse missing = get(s.port(), "/v1/agents/agent-00000000-0000-4000-8000-000000000000");
    CHECK(missing.status == 404);
    CHECK(missing.body ==
          R"({"detail":"Agent with ID agent-00000000-0000-4000-8000-000000000000 not found"})");
}

TEST_CASE("fixtures are replayed byte-exactly, one chunk per event", "[fake_server]") {
    for (const char* name :
         {"synth_foreground_token_stream.sse", "sdk_test_split_multibyte.sse",
          "synth_background_error_midstream.sse", "sdk_test_multiline_data.sse"}) {
        FakeServer s(one_fixture(name));
        HttpResponse r = post_stream(s);
        INFO(name);
        CHECK(r.status == 200);
        CHECK(r.header("content-type") == "text/event-stream; charset=utf-8");
        CHECK(r.header("transfer-encoding") == "chunked");
        CHECK(r.complete);
        CHECK(r.body == fixture(name));
    }
    FakeServer s(one_fixture("synth_foreground_token_stream.sse"));
    HttpResponse r = post_stream(s);
    std::string f = fixture("synth_foreground_token_stream.sse");
    size_t events = 0;
    for (size_t p = 0; (p = f.find("\n\n", p)) != std::string::npos; p += 2)
        ++events;
    CHECK(r.chunks.size() == events);
    for (const auto& c : r.chunks)
        CHECK(c.substr(c.size() - 2) == "\n\n");
}

TEST_CASE("split, line endings, data: without space, BOM", "[fake_server]") {
    const std::string f = fixture("sdk_test_split_multibyte.sse");
    SECTION("bytes:1 writes one byte per chunk") {
        FakeServer s(one_fixture("sdk_test_split_multibyte.sse", R"(,"split":{"bytes":1})"));
        HttpResponse r = post_stream(s);
        CHECK(r.body == f);
        CHECK(r.chunks.size() == f.size());
    }
    SECTION("explicit offsets") {
        FakeServer s(one_fixture("sdk_test_split_multibyte.sse", R"(,"split":{"offsets":[3,40]})"));
        HttpResponse r = post_stream(s);
        CHECK(r.body == f);
        REQUIRE(r.chunks.size() == 3);
        CHECK(r.chunks[0].size() == 3);
        CHECK(r.chunks[1].size() == 37);
    }
    SECTION("crlf") {
        FakeServer s(one_fixture("synth_foreground_token_stream.sse", R"(,"line_endings":"crlf")"));
        CHECK(post_stream(s).body ==
              replace_all(fixture("synth_foreground_token_stream.sse"), "\n", "\r\n"));
    }
    SECTION("cr, no space after data:, BOM") {
        FakeServer s(one_fixture("docs_step_streaming_example.sse",
                                 R"(,"line_endings":"cr","data_no_space":true,"bom":true)"));
        std::string want =
            "\xEF\xBB\xBF" +
            replace_all(replace_all(fixture("docs_step_streaming_example.sse"), "data: ", "data:"),
                        "\n", "\r");
        CHECK(post_stream(s).body == want);
    }
}

TEST_CASE("gzip: every write is decodable at once, length and close framing", "[fake_server]") {
    const std::string f = fixture("synth_foreground_token_stream.sse");
    FakeServer s(one_fixture("synth_foreground_token_stream.sse", R"(,"gzip":true)"));
    HttpResponse r = post_stream(s);
    CHECK(r.header("content-encoding") == "gzip");
    bool ok = false;
    CHECK(gunzip(r.body, &ok) == f);
    CHECK(ok);
    REQUIRE(r.chunks.size() > 2);
    std::string first_event = f.substr(0, f.find("\n\n") + 2);
    CHECK(gunzip(r.chunks[0], &ok) == first_event);  // sync-flushed: no waiting for more data

    FakeServer len(
        one_fixture("synth_foreground_token_stream.sse", R"(,"gzip":true,"framing":"length")"));
    HttpResponse lr = post_stream(len);
    CHECK(lr.header("content-length") == std::to_string(lr.body.size()));
    CHECK(lr.header("transfer-encoding").empty());
    CHECK(gunzip(lr.body) == f);

    FakeServer cl(one_fixture("synth_foreground_token_stream.sse", R"(,"framing":"close")"));
    HttpResponse cr = post_stream(cl);
    CHECK(cr.header("content-length").empty());
    CHECK(cr.eof);
    CHECK(cr.body == f);
}

TEST_CASE("faults: close_after_bytes, stall, endless, raw_tail, the server survives",
          "[fake_server]") {
    const std::string f = fixture("synth_foreground_token_stream.sse");
    FakeServer s(R"({"responses":[
        {"fixture":"synth_foreground_token_stream.sse","close_after_bytes":1000},
        {"fixture":"synth_foreground_token_stream.sse","stall_after_bytes":300},
        {"fixture":"letta_code_test_stop_reason_done.sse","endless":true,"ping_interval_ms":5},
        {"body":"data: x\n\n","raw_tail":"data: \u00ff\u00fe\n"}]})");
    HttpResponse closed = post_stream(s);
    CHECK_FALSE(closed.complete);
    CHECK(closed.eof);
    CHECK(closed.body == f.substr(0, 1000));

    HttpRequestSpec spec;
    spec.method = "POST";
    spec.target = "/v1/agents/" + std::string(kAgentA) + "/messages/stream";
    spec.body = kMsgBody;
    spec.timeout_ms = 300;
    HttpResponse stalled = http_request(s.port(), spec);
    CHECK(stalled.timed_out);
    CHECK(stalled.body == f.substr(0, 300));

    spec.timeout_ms = 5000;
    spec.max_body_bytes = 3000;
    HttpResponse endless = http_request(s.port(), spec);
    CHECK(endless.body.rfind(fixture("letta_code_test_stop_reason_done.sse"), 0) == 0);
    CHECK(endless.body.find("\"message_type\":\"ping\"") != std::string::npos);

    CHECK(post_stream(s).body == "data: x\n\ndata: \xff\xfe\n");
    CHECK(get(s.port(), "/health").status == 200);  // still serving after the disconnects
}

TEST_CASE("auth, SDK-version 422, body and agent checks", "[fake_server]") {
    FakeServer s(
        std::string(R"({"api_key":"sk-let-k","agents":[{"id":")") + kAgentA +
        R"(","name":"calc"}],"response":{"fixture":"letta_code_test_stop_reason_done.sse"}})");
    const HeaderList auth = {{"Authorization", "Bearer sk-let-k"}};
    const std::string msgs = "/v1/agents/" + std::string(kAgentA) + "/messages";
    HttpResponse no_auth = post(s.port(), msgs);
    CHECK(no_auth.status == 401);
    CHECK(no_auth.body == R"({"detail":"Unauthorized"})");
    CHECK(post(s.port(), msgs, kMsgBody, {{"Authorization", "Bearer wrong"}}).status == 401);
    CHECK(get(s.port(), "/health").status == 200);

    CHECK(post(s.port(), msgs, kMsgBody, auth).status == 200);  // no User-Agent at all
    HeaderList legacy = auth;
    legacy.emplace_back("User-Agent", "letta-stream/0.1");
    HttpResponse r = post(s.port(), msgs, kMsgBody, legacy);
    CHECK(r.status == 422);
    CHECK(r.body == R"({"detail":"streaming=true is only supported for SDK v1.0+ clients."})");
    CHECK(post(s.port(), msgs + "/stream", kMsgBody, legacy).status == 200);
    legacy.emplace_back("X-Stainless-Package-Version", "1.12.1");
    CHECK(post(s.port(), msgs, kMsgBody, legacy).status == 200);
    HeaderList sdk = auth;
    sdk.emplace_back("User-Agent", "@letta-ai/letta-client/1.12.1");
    CHECK(post(s.port(), msgs, kMsgBody, sdk).status == 200);

    HttpResponse empty = post(s.port(), msgs, R"({"messages":[],"streaming":true})", auth);
    CHECK(empty.status == 422);
    CHECK(empty.body == R"({"detail":"Messages must not be empty"})");
    HttpResponse unknown = post(s.port(), "/v1/agents/agent-nope/messages/stream", kMsgBody, auth);
    CHECK(unknown.status == 404);
    CHECK(unknown.body == R"({"detail":"Agent with ID agent-nope not found"})");
    CHECK(get(s.port(), "/v1/nothing").status == 401);  // auth comes first
}

TEST_CASE("generate: Letta-shaped JSON events that spell out the text", "[fake_server]") {
    FakeServer s(R"({"responses":[
        {"generate":{"text":"Hello, wörld! \"Quoted\"\nnew line.","reasoning":"Think first."}},
        {"generate":{"text":"one two three four five six","tokens":3,"background":true,
                     "run_id":"run-fixed"}},
        {"generate":{"error_midstream_after":2}}]})");
    HttpResponse r = post_stream(s);
    auto evs = json_events(r.body);
    CHECK(assistant_text(evs) == "Hello, wörld! \"Quoted\"\nnew line.");
    REQUIRE(evs.size() > 4);
    CHECK(evs[0]["message_type"] == "ping");
    const char* order[] = {"id",        "date",    "name",   "message_type", "otid",
                           "sender_id", "step_id", "is_err", "seq_id",       "run_id"};
    for (const auto& e : evs) {
        std::string type = e["message_type"].GetString();
        if (type != "assistant_message" && type != "reasoning_message") continue;
        auto m = e.MemberBegin();
        for (const char* k : order)
            CHECK(std::string((m++)->name.GetString()) == k);
        CHECK(e["seq_id"].IsNull());
        int segment = std::stoi(std::string(e["otid"].GetString()).substr(34), nullptr, 16) & 0x7f;
        CHECK(segment ==
              (type == "assistant_message" ? 1 : 0));  // otid = uuid, low 7 bits = segment
    }
    CHECK(evs[evs.size() - 2]["stop_reason"] == "end_turn");
    CHECK(evs.back()["message_type"] == "usage_statistics");
    CHECK(sse_data_payloads(r.body).back() == "[DONE]");

    auto bg = json_events(post_stream(s).body);
    CHECK(assistant_text(bg) == "one two three four five six");
    int n = 0;
    long long seq = 0;
    for (const auto& e : bg) {
        if (e["message_type"] == "assistant_message") ++n;
        if (e.HasMember("seq_id")) {
            CHECK(e["seq_id"].GetInt64() == ++seq);
            CHECK(e["run_id"] == "run-fixed");
        }
    }
    CHECK(n == 3);
    CHECK(bg.back()["completion_tokens"].GetInt() == 3);

    HttpResponse err = post_stream(s);
    auto ee = json_events(err.body);
    CHECK(err.body.find("event: error\ndata: {\"message_type\":\"error_message\"") !=
          std::string::npos);
    CHECK(ee[ee.size() - 2]["stop_reason"] == "llm_api_error");
    CHECK(sse_data_payloads(err.body).back() != "[DONE]");
}

TEST_CASE("Expect: 100-continue, keep-alive, 413", "[fake_server]") {
    FakeServer s(R"({"response":{"fixture":"letta_code_test_stop_reason_done.sse"}})");
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.target = "/v1/agents/agent-x/messages/stream";
    spec.body = R"({"messages":[{"role":"user","content":")" + std::string(4000, 'x') + "\"}]}";
    spec.expect_continue = true;
    HttpClient c(s.port());
    HttpResponse r = c.request(spec);
    CHECK(r.interim == std::vector<int>{100});
    CHECK(r.status == 200);
    CHECK(r.body == fixture("letta_code_test_stop_reason_done.sse"));
    CHECK(s.wait_for_requests(1).at(0).body == spec.body);
    REQUIRE(c.connected());  // the same connection serves the next request
    HttpRequestSpec health;
    health.target = "/health";
    CHECK(c.request(health).body == "ok");

    HttpClient big(s.port());
    big.send_raw(
        "POST /v1/agents/agent-x/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
    CHECK(big.read_response(3000).status == 413);
}

TEST_CASE("cancel stops a running stream, resume replays after starting_after", "[fake_server]") {
    FakeServer s(R"({"responses":[
        {"generate":{"repeat_events":2000,"run_id":"run-c"},"rate":500},
        {"generate":{"run_id":"run-bg","background":true},"close_after_bytes":2500}]})");
    HttpClient a(s.port());
    a.send_raw("POST /v1/agents/agent-x/messages/stream HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(std::string(kMsgBody).size()) + "\r\n\r\n" + kMsgBody);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    HttpResponse c =
        post(s.port(), "/v1/agents/agent-x/messages/cancel", R"({"run_ids":["run-c"]})");
    CHECK(c.body == R"({"run-c":"cancelled"})");
    HttpResponse r = a.read_response(3000);
    CHECK(r.complete);
    auto payloads = sse_data_payloads(r.body);
    REQUIRE(payloads.size() > 2);
    CHECK(payloads.size() < 1000);
    CHECK(payloads[payloads.size() - 2] ==
          R"({"message_type": "stop_reason", "stop_reason": "cancelled"})");
    CHECK(payloads.back() == "[DONE]");

    HttpResponse dropped = post_stream(s);
    CHECK_FALSE(dropped.complete);
    HttpResponse resumed = post(s.port(), "/v1/runs/run-bg/stream", R"({"starting_after":5})");
    auto evs = json_events(resumed.body);
    REQUIRE_FALSE(evs.empty());
    CHECK(evs[0]["seq_id"].GetInt() == 6);
    CHECK(sse_data_payloads(resumed.body).back() == "[DONE]");
    CHECK(post(s.port(), "/v1/runs/run-c/stream", "{}").status == 400);  // foreground run
    CHECK(post(s.port(), "/v1/runs/run-unknown/stream", "{}").status == 404);
}

TEST_CASE("a bad scenario makes FakeServer throw with the server's message", "[fake_server]") {
    try {
        FakeServer s(
            R"({"responses":[{"fixture":"synth_foreground_token_stream.sse","splitt":"all"}]})");
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("unknown key \"splitt\"") != std::string::npos);
    }
}

TEST_CASE("run_process: exit code, stdin, tty, timeout, head -c, /dev/full, signals", "[process]") {
    ProcessSpec p;
    p.argv = {"/bin/sh", "-c", "exit 3"};
    CHECK(run_process(p).exit_code == 3);

    p.argv = {"cat"};
    p.stdin_data = "hello\n";
    ProcessResult cat = run_process(p);
    CHECK(cat.out == "hello\n");
    CHECK(cat.exit_code == 0);

    p.argv = {"/bin/sh", "-c", "if test -t 0; then echo tty; else echo notty; fi"};
    p.stdin_data.reset();
    CHECK(run_process(p).out == "notty\n");
    p.stdin_mode = StdinMode::pty;
    CHECK(run_process(p).out == "tty\n");
    p.stdin_mode = StdinMode::dev_null;
    CHECK(run_process(p).out == "notty\n");

    ProcessSpec slow;
    slow.argv = {"sleep", "10"};
    slow.timeout_ms = 200;
    ProcessResult t = run_process(slow);
    CHECK(t.timed_out);
    CHECK(t.term_signal == SIGKILL);
    CHECK(t.elapsed_ms < 2000);

    slow.timeout_ms = 5000;
    slow.signal = SIGTERM;
    slow.signal_after_ms = 50;
    ProcessResult sig = run_process(slow);
    CHECK(sig.signal_sent);
    CHECK(sig.term_signal == SIGTERM);

    ProcessSpec yes;
    yes.argv = {"/bin/sh", "-c", "yes"};
    yes.close_stdout_after_bytes = 5;
    ProcessResult y = run_process(yes);
    CHECK(y.out == "y\ny\ny");
    CHECK((y.term_signal == SIGPIPE || y.exit_code != 0));
    CHECK_FALSE(y.timed_out);

    ProcessSpec full;
    full.argv = {"/bin/sh", "-c", "echo hi"};
    full.stdout_path = "/dev/full";
    ProcessResult fr = run_process(full);
    CHECK(fr.exit_code != 0);
    CHECK(fr.out.empty());

    ProcessSpec chunks;
    chunks.argv = {"/bin/sh", "-c", "echo a; sleep 0.2; echo b"};
    ProcessResult cr = run_process(chunks);
    REQUIRE(cr.out_chunks.size() == 2);
    CHECK(cr.out_chunks[1].t_ms - cr.out_chunks[0].t_ms > 150);
}

TEST_CASE("run_process removes LETTA_* from the inherited environment", "[process]") {
    ::setenv("LETTA_API_KEY", "leak", 1);
    ::setenv("LS_TEST_OTHER", "kept", 1);
    ProcessSpec p;
    p.argv = {"/bin/sh", "-c", "echo \"[$LETTA_API_KEY][$LETTA_BASE_URL][$LS_TEST_OTHER]\""};
    p.env = {"LETTA_BASE_URL=http://x"};
    CHECK(run_process(p).out == "[][http://x][kept]\n");
    p.clear_env = true;
    CHECK(run_process(p).out == "[][http://x][]\n");
    ::unsetenv("LETTA_API_KEY");
    ::unsetenv("LS_TEST_OTHER");
}

// ---- the other dialects: POST /v1/chat/completions, the `openai` generator, /x/ routes --------

namespace {

const char* const kChatBody =
    R"({"model":"fakebot","stream":true,"messages":[{"role":"user","content":"hi"}]})";

HttpResponse post_chat(const FakeServer& s, const std::string& body = kChatBody) {
    return post(s.port(), "/v1/chat/completions", body);
}

std::string openai_fixture(const std::string& name) {
    return fixture("../openai/" + name);
}

// The content deltas of an OpenAI chunk stream, concatenated.
std::string chunk_text(const std::vector<rapidjson::Document>& evs, const char* field = "content") {
    std::string text;
    for (const auto& e : evs) {
        if (!e.HasMember("choices") || e["choices"].Empty()) continue;
        const auto& d = e["choices"][0]["delta"];
        if (d.HasMember(field) && d[field].IsString()) text += d[field].GetString();
    }
    return text;
}

// Each SSE event of a body (without its blank line), in order.
std::vector<std::string> sse_blocks(const std::string& body) {
    std::vector<std::string> out;
    for (size_t p = 0, e; (e = body.find("\n\n", p)) != std::string::npos; p = e + 2)
        out.push_back(body.substr(p, e - p));
    return out;
}

}  // namespace

TEST_CASE("chat completions: the openai generator writes the App Server's exact chunks",
          "[fake_server][openai]") {
    const std::string capture = openai_fixture("appserver_stream.sse");
    const std::string text =
        "Hello from the fake model! Tokens arrive one by one: café, naïve, "
        "日本語, 🙂.";
    FakeServer s(R"({"response":{"openai":{"text":")" + text + R"("},"coalesce":false}})");
    HttpResponse r = post_chat(s);
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/event-stream");
    CHECK(r.header("cache-control") == "no-cache");
    CHECK(r.header("transfer-encoding") == "chunked");
    CHECK(r.complete);
    auto evs = json_events(r.body);
    CHECK(chunk_text(evs) == text);
    REQUIRE(evs.size() >= 3);
    const std::string id = evs[0]["id"].GetString();
    CHECK(id.rfind("chatcmpl-", 0) == 0);
    CHECK(id.size() == 9 + 36);
    // With the capture's id and time, the role chunk, the stop chunk and [DONE] are the same
    // bytes, and every content chunk has the same frame around its piece.
    std::string want = replace_all(capture, "chatcmpl-5697ed89-2898-4a98-91e9-6963b90df093", id);
    want = replace_all(want, "\"created\":1795313039",
                       "\"created\":" + std::to_string(evs[0]["created"].GetInt64()));
    const auto got_blocks = sse_blocks(r.body), want_blocks = sse_blocks(want);
    REQUIRE(got_blocks.size() >= 3);
    CHECK(got_blocks.front() == want_blocks.front());
    CHECK(got_blocks[got_blocks.size() - 2] == want_blocks[want_blocks.size() - 2]);
    CHECK(got_blocks.back() == "data: [DONE]");
    auto frame = [](const std::string& block) {
        const size_t start = block.find("{\"content\":");
        const size_t end = block.rfind("},\"finish_reason\":null");
        return start == std::string::npos || end == std::string::npos
                   ? block
                   : block.substr(0, start) + block.substr(end);
    };
    for (size_t i = 1; i + 2 < got_blocks.size(); ++i)
        CHECK(frame(got_blocks[i]) == frame(want_blocks[1]));
    CHECK(r.chunks.size() == got_blocks.size());  // one HTTP chunk per event, as the App Server
    CHECK(s.wait_for_requests(1).at(0).path == "/v1/chat/completions");
}

TEST_CASE("chat completions: openai generator options", "[fake_server][openai]") {
    FakeServer s(R"({"responses":[
        {"openai":{"text":"one two three","tokens":2,"reasoning":"Think first.","usage":true}},
        {"openai":{"tool_call":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}",
                                "id":"call_x"},"model":"other","done":false}},
        {"openai":{"text":"a b c d","error_after":2}},
        {"openai":{"text":"x","finish_reason":null,"repeat_events":5}},
        {"openai":{"text":"y","finish_reason":"length"}}]})");
    auto evs = json_events(post_chat(s).body);
    CHECK(chunk_text(evs) == "one two three");
    CHECK(chunk_text(evs, "reasoning_content") == "Think first.");
    REQUIRE(evs.size() == 1 + 3 + 2 + 1 + 1);  // role, reasoning, content, stop, usage
    CHECK(evs[0]["model"] == "fakebot");       // echoed from the request
    CHECK(evs[6]["choices"][0]["finish_reason"] == "stop");
    const auto& usage = evs[7]["usage"];
    CHECK(evs[7]["choices"].Empty());
    CHECK(usage["completion_tokens"].GetInt() == 2 + 3);
    CHECK(usage["total_tokens"].GetInt() == 2310 + 5);
    CHECK(usage["completion_tokens_details"]["reasoning_tokens"].GetInt() == 3);
    CHECK(usage["prompt_tokens_details"]["cached_tokens"].GetInt() == 2048);

    HttpResponse tool = post_chat(s);
    CHECK(sse_data_payloads(tool.body).back() != "[DONE]");
    evs = json_events(tool.body);
    CHECK(evs[0]["model"] == "other");
    CHECK(chunk_text(evs).empty());  // a tool call says nothing else by default
    std::string args;
    int fragments = 0;
    for (const auto& e : evs) {
        const auto& d = e["choices"][0]["delta"];
        if (!d.HasMember("tool_calls")) continue;
        const auto& f = d["tool_calls"][0];
        CHECK(f["index"].GetInt() == 0);
        if (fragments++ == 0) {
            CHECK(f["id"] == "call_x");
            CHECK(f["type"] == "function");
            CHECK(f["function"]["name"] == "get_weather");
        } else {
            CHECK_FALSE(f.HasMember("id"));
        }
        args += f["function"]["arguments"].GetString();
    }
    CHECK(args == R"({"city": "Paris"})");
    CHECK(fragments == 1 + 3);
    CHECK(evs.back()["choices"][0]["finish_reason"] == "tool_calls");

    HttpResponse err = post_chat(s);
    evs = json_events(err.body);
    CHECK(chunk_text(evs) == "a b");
    CHECK(evs.back()["error"]["type"] == "server_error");
    CHECK(std::string(evs.back()["error"]["message"].GetString()).find("llm_error") !=
          std::string::npos);
    CHECK(sse_data_payloads(err.body).back() == "[DONE]");

    evs = json_events(post_chat(s).body);
    CHECK(chunk_text(evs) == "xxxxx");
    CHECK(evs.back()["choices"][0]["delta"].HasMember("content"));  // no finish chunk

    evs = json_events(post_chat(s).body);
    CHECK(evs.back()["choices"][0]["finish_reason"] == "length");
}

TEST_CASE("chat completions: strict checks answer 400 in OpenAI's envelope",
          "[fake_server][openai]") {
    FakeServer s(
        R"({"responses":[{"body_events":["data: first"]},{"body_events":["data: second"]}]})");
    const std::string env = R"(","type":"invalid_request_error","param":null,"code":null}})";
    HttpResponse bad = post_chat(s, "not json");
    CHECK(bad.status == 400);
    CHECK(bad.body == R"({"error":{"message":"the body must be a JSON object)" + env);
    HttpResponse empty = post_chat(s, R"({"model":"m","messages":[]})");
    CHECK(empty.status == 400);
    CHECK(empty.body ==
          R"({"error":{"message":"you must provide a non-empty messages array)" + env);
    HttpResponse no_model = post_chat(s, R"({"messages":[{"role":"user","content":"x"}]})");
    CHECK(no_model.status == 400);
    CHECK(no_model.body == R"({"error":{"message":"you must provide a model parameter)" + env);
    CHECK(post(s.port(), "/v1/chat/completions/", kChatBody).status == 404);
    HttpRequestSpec get_chat;
    get_chat.target = "/v1/chat/completions";
    CHECK(http_request(s.port(), get_chat).status == 405);
    // Rejected requests use up no entry; the Letta checks (agents, SDK version) do not apply.
    HttpResponse ok = post(s.port(), "/v1/chat/completions", kChatBody, {{"User-Agent", "curl/8"}});
    CHECK(ok.status == 200);
    CHECK(ok.body == "data: first\n\n");
    CHECK(s.wait_for_requests(6).size() == 6);  // every request is logged

    FakeServer lax(R"({"strict":false,"response":{"openai":{"text":"ok"}}})");
    HttpResponse r = post_chat(lax, "whatever");
    CHECK(r.status == 200);
    auto evs = json_events(r.body);
    CHECK(chunk_text(evs) == "ok");
    CHECK(evs[0]["model"] == "fakebot");  // no model in the request
}

TEST_CASE("chat completions: fixtures, split, gzip and faults apply", "[fake_server][openai]") {
    const std::string capture = openai_fixture("appserver_llm_http500.sse");
    FakeServer s(R"({"responses":[
        {"fixture":"../openai/appserver_llm_http500.sse"},
        {"openai":{"text":"Hello, world."},"split":{"bytes":7},"gzip":true},
        {"openai":{},"close_after_bytes":500},
        {"openai":{"text":"paced"},"rate":1000,"first_delay_ms":1}]})");
    HttpResponse replay = post_chat(s);
    CHECK(replay.body == capture);
    CHECK(replay.header("content-type") == "text/event-stream; charset=utf-8");

    HttpResponse gz = post_chat(s);
    CHECK(gz.header("content-encoding") == "gzip");
    bool ok = false;
    const std::string plain = gunzip(gz.body, &ok);
    CHECK(ok);
    CHECK(chunk_text(json_events(plain)) == "Hello, world.");
    CHECK(gz.chunks.size() > plain.size() / 7);

    HttpResponse cut = post_chat(s);
    CHECK_FALSE(cut.complete);
    CHECK(cut.body.size() == 500);

    HttpResponse paced = post_chat(s);
    CHECK(chunk_text(json_events(paced.body)) == "paced");
    CHECK(paced.chunks.size() == sse_blocks(paced.body).size());
}

TEST_CASE("chat completions: a flood of openai chunks is coalesced and fast",
          "[fake_server][openai]") {
    FakeServer s(R"({"response":{"openai":{"text":"a b","repeat_events":200000}}})");
    const auto t0 = std::chrono::steady_clock::now();
    HttpResponse r = post(s.port(), "/v1/chat/completions", kChatBody, {}, -1, 30000);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    REQUIRE(r.complete);
    size_t content = 0;
    for (size_t p = 0; (p = r.body.find("{\"content\":", p)) != std::string::npos; ++p)
        ++content;
    CHECK(content == 200000);
    CHECK(r.chunks.size() < 1000);  // ≥256 KiB writes, not one per chunk
    CHECK(ms < 10000);
    CHECK(sse_data_payloads(r.body).back() == "[DONE]");
}

TEST_CASE("/x/ routes: any GET or POST, no checks, body_events", "[fake_server][openai]") {
    FakeServer s(R"({"api_key":"k","agents":[{"id":"agent-a"}],"responses":[
        {"body_events":["data: {\"type\":\"delta\",\"text\":\"Hi\"}","event: end\ndata: {}"]},
        {"body_events":["id: 1\ndata: a","data: b"],"line_endings":"crlf","status":201},
        {"fixture":"../openai/appserver_stream.sse"}]})");
    const HeaderList auth = {{"Authorization", "Bearer k"}};
    CHECK(post(s.port(), "/x/chat", "not json").status == 401);  // the Bearer check still applies
    HttpResponse a = post(s.port(), "/x/chat", "not json at all", auth);
    CHECK(a.status == 200);
    CHECK(a.header("content-type") == "text/event-stream; charset=utf-8");
    CHECK(a.body == "data: {\"type\":\"delta\",\"text\":\"Hi\"}\n\nevent: end\ndata: {}\n\n");
    CHECK(a.chunks.size() == 2);

    HttpRequestSpec spec;
    spec.target = "/x/events/deep?x=1";
    spec.headers = auth;
    HttpResponse b = http_request(s.port(), spec);
    CHECK(b.status == 201);
    CHECK(b.body == "id: 1\r\ndata: a\r\n\r\ndata: b\r\n\r\n");

    HttpResponse c = post(s.port(), "/x/", "", auth);
    CHECK(c.body == openai_fixture("appserver_stream.sse"));

    spec.method = "DELETE";
    CHECK(http_request(s.port(), spec).status == 405);
    spec.target = "/xy/events";
    spec.method = "GET";
    CHECK(http_request(s.port(), spec).status == 404);
    auto reqs = s.wait_for_requests(6);
    REQUIRE(reqs.size() >= 3);
    CHECK(reqs[1].path == "/x/chat");
    CHECK(reqs[1].body == "not json at all");
    CHECK(reqs[2].query == "x=1");
}

TEST_CASE("scenario errors for the new keys name them", "[fake_server][openai]") {
    for (auto [scenario, message] : std::initializer_list<std::pair<const char*, const char*>>{
             {R"({"response":{"openai":{"txt":"x"}}})", "unknown key \"txt\""},
             {R"({"response":{"openai":{"tool_call":{"tool_call_id":"c"}}}})",
              "unknown key \"tool_call_id\""},
             {R"({"response":{"openai":{"finish_reason":5}}})", "finish_reason"},
             {R"({"response":{"openai":{},"body":"x"}})", "use only one of"},
             {R"({"response":{"body_events":["a",1]}})", "body_events"},
             {R"({"response":{"body_events":"a","rate":5}})", "body_events"},
             {R"({"response":{"body":"x","rate":5}})", "rate applies to generate and openai"}}) {
        INFO(scenario);
        try {
            FakeServer s(scenario);
            FAIL("no exception");
        } catch (const std::runtime_error& e) {
            CHECK_THAT(std::string(e.what()), Catch::Contains(message));
        }
    }
}
