// protocol::letta_api — request shapes and error-body parsing.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include "protocol/letta_api.hpp"
#include "util/utf8.hpp"
#include "util/uuid.hpp"

using namespace letta_stream;
using namespace letta_stream::protocol;

TEST_CASE("agent ids", "[letta_api]") {
    CHECK(is_agent_id("agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"));
    // Copied in upper case it is still an id (issue "The contract holds on every path", item 6).
    CHECK(is_agent_id("agent-1B2C3D4E-5F60-4A7B-8C9D-0E1F2A3B4C5D"));
    CHECK(is_agent_id("AGENT-1b2c3d4e-5f60-4A7B-8c9d-0e1f2a3b4c5d"));
    CHECK(util::is_uuid4("1B2C3D4E-5F60-4A7B-BC9D-0E1F2A3B4C5D"));
    CHECK_FALSE(util::is_uuid4("1B2C3D4E-5F60-4A7B-CC9D-0E1F2A3B4C5D"));     // variant
    CHECK_FALSE(is_agent_id("agent-1b2c3d4e-5f60-1a7b-8c9d-0e1f2a3b4c5d"));  // not v4
    CHECK_FALSE(is_agent_id("support-bot"));
    CHECK_FALSE(is_agent_id("agent-local-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"));
    CHECK(util::is_uuid4(util::uuid4()));
    CHECK(util::uuid4() != util::uuid4());
}

TEST_CASE("agent lookup call", "[letta_api]") {
    auto call = list_agents_by_name("support bot/é");
    CHECK(call.method == "GET");
    CHECK(call.path == "/v1/agents/?name=support%20bot%2F%C3%A9&limit=50");
}

TEST_CASE("message call: conversations route", "[letta_api]") {
    MessageRequest r;
    r.agent_id = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
    r.prompt = "Say \"hi\"\n";
    r.otid = "2b7e9c41-5d3a-4f86-a1c2-7e8f9a0b1c2d";
    auto call = send_message(r);
    CHECK(call.method == "POST");
    CHECK(call.path == "/v1/conversations/default/messages");
    CHECK(call.send_user_agent);
    rapidjson::Document d;
    d.Parse(call.body.c_str());
    REQUIRE(d.IsObject());
    CHECK(d["streaming"].GetBool());
    CHECK(d["stream_tokens"].GetBool());
    CHECK(d["include_pings"].GetBool());
    CHECK(std::string(d["agent_id"].GetString()) == r.agent_id);
    REQUIRE(d["messages"].Size() == 1);
    const auto& m = d["messages"][0];
    CHECK(std::string(m["role"].GetString()) == "user");
    CHECK(std::string(m["content"].GetString()) == r.prompt);
    CHECK(std::string(m["otid"].GetString()) == r.otid);

    r.conversation_id = "conv-42";
    auto conv = send_message(r);
    CHECK(conv.path == "/v1/conversations/conv-42/messages");
    d.Parse(conv.body.c_str());
    CHECK_FALSE(d.HasMember("agent_id"));
}

TEST_CASE("message call: agents route sends no User-Agent", "[letta_api]") {
    MessageRequest r;
    r.route = Route::agents;
    r.agent_id = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
    r.prompt = "hi";
    r.otid = util::uuid4();
    auto call = send_message(r);
    CHECK(call.path == "/v1/agents/agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d/messages");
    CHECK_FALSE(call.send_user_agent);
    rapidjson::Document d;
    d.Parse(call.body.c_str());
    CHECK(d["streaming"].GetBool());
    CHECK_FALSE(d.HasMember("agent_id"));
}

TEST_CASE("common headers", "[letta_api]") {
    Endpoint e{"https://api.letta.com", "sk-let-x", "proj-1", {"X-Custom: 1"}};
    auto h = common_headers(e, true, true);
    CHECK(h == std::vector<std::string>{"Authorization: Bearer sk-let-x", "X-Project-Id: proj-1",
                                        "Content-Type: application/json",
                                        "Accept: text/event-stream", "X-Custom: 1"});
    Endpoint bare{"http://127.0.0.1:1", "", "", {}};
    CHECK(common_headers(bare, false, false) ==
          std::vector<std::string>{"Accept: application/json"});
}

// Issue "The contract holds on every path", item 7: `-H "Authorization: Bearer B"` with
// LETTA_API_KEY set sent both ("Bearer A, Bearer B" once joined). A user header replaces ours of
// the same name, whatever its case, as curl's -H does; "Name:" removes ours.
TEST_CASE("common headers: a user header replaces ours", "[letta_api]") {
    Endpoint e{"https://api.letta.com",
               "sk-let-a",
               "proj-1",
               {"authorization: Bearer B", "CONTENT-TYPE: text/plain", "Accept : */*",
                "X-Project-Id: proj-2", "X-Custom: 1"}};
    CHECK(common_headers(e, true, true) ==
          std::vector<std::string>{"authorization: Bearer B", "CONTENT-TYPE: text/plain",
                                   "Accept : */*", "X-Project-Id: proj-2", "X-Custom: 1"});
    // Only the named ones go; the agent lookup (no body, JSON) is treated the same way.
    Endpoint one{"https://api.letta.com", "sk-let-a", "", {"Authorization: Bearer B"}};
    CHECK(common_headers(one, false, false) ==
          std::vector<std::string>{"Accept: application/json", "Authorization: Bearer B"});
    // "Name:" with no value: ours is dropped and the empty line tells libcurl to send none.
    Endpoint removed{"https://api.letta.com", "sk-let-a", "", {"Accept:", "Content-Type:"}};
    CHECK(common_headers(removed, true, true) ==
          std::vector<std::string>{"Authorization: Bearer sk-let-a", "Accept:", "Content-Type:"});
    // A prefix of a name is another name.
    Endpoint prefix{"https://api.letta.com", "sk-let-a", "", {"Accept-Language: fr"}};
    CHECK(common_headers(prefix, false, true) ==
          std::vector<std::string>{"Authorization: Bearer sk-let-a", "Accept: text/event-stream",
                                   "Accept-Language: fr"});
}

TEST_CASE("agent lists", "[letta_api]") {
    std::vector<AgentRef> agents;
    std::string err;
    REQUIRE(parse_agent_list(
        R"([{"id":"agent-a","name":"x","created_at":"2026-01-01T00:00:00Z"},)"
        R"({"id":"agent-b","name":"x","created_at":"2026-03-01T00:00:00Z"},{"name":"no id"}])",
        agents, err));
    REQUIRE(agents.size() == 2);
    CHECK(agents[newest_agent(agents)].id == "agent-b");
    CHECK_FALSE(parse_agent_list(R"({"detail":"x"})", agents, err));
    CHECK_FALSE(parse_agent_list("<html>", agents, err));
}

TEST_CASE("error bodies", "[letta_api]") {
    CHECK(
        parse_error_body(404, "application/json", R"({"detail":"Agent with ID agent-x not found"})")
            .message == "Agent with ID agent-x not found");
    auto busy = parse_error_body(
        409, "application/json",
        R"({"detail":"CONFLICT: Cannot send a new message: busy","run_id":"run-1"})");
    CHECK(busy.run_id == "run-1");
    auto llm = parse_error_body(
        429, "application/json",
        R"({"error":{"type":"llm_rate_limit","message":"Rate limited","detail":"slow down"}})");
    CHECK(llm.message == "Rate limited (slow down)");
    CHECK(llm.error_type == "llm_rate_limit");
    CHECK_FALSE(llm.quota);
    auto quota = parse_error_body(429, "application/json",
                                  R"({"error":"Rate limited","reasons":["not-enough-credits"]})");
    CHECK(quota.quota);
    CHECK(quota.message == "Rate limited (not-enough-credits)");
    auto pending = parse_error_body(
        409, "application/json",
        R"({"detail":{"code":"PENDING_APPROVAL","message":"waiting for approval"}})");
    CHECK(pending.message == "waiting for approval");
    CHECK(pending.error_type == "PENDING_APPROVAL");
    auto list = parse_error_body(422, "application/json",
                                 R"({"detail":[{"msg":"field required"},{"msg":"bad id"}]})");
    CHECK(list.message == "field required; bad id");
    auto openai =
        parse_error_body(404, "application/json",
                         R"({"error":{"message":"no such model","code":"model_not_found"}})");
    CHECK(openai.message == "no such model");
    CHECK(openai.error_type == "model_not_found");
    auto html = parse_error_body(502, "text/html",
                                 "<html><head><title>502 Bad\nGateway</title></head></html>");
    CHECK(html.message == "HTML page: 502 Bad Gateway");
    CHECK(parse_error_body(500, "", "").message == "Internal Server Error");
    CHECK(parse_error_body(402, "application/json", "{}").quota);
    auto text = parse_error_body(503, "text/plain", "upstream\nconnect error");
    CHECK(text.message == "upstream connect error");
}

TEST_CASE("long error messages are capped between characters", "[letta_api]") {
    // 399 ASCII bytes, then 'é' (2 bytes) straddling the 400-byte cap, then more.
    const std::string body = std::string(399, 'a') + "\xc3\xa9" + std::string(50, 'b');
    const auto e = parse_error_body(500, "application/json", R"({"detail":")" + body + R"("})");
    CHECK(e.message == std::string(399, 'a') + "...");
    CHECK(util::is_valid_utf8(e.message));
    // Every split of a 3- and a 4-byte character keeps the message valid UTF-8.
    for (const std::string ch : {"\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
        for (std::size_t pad = 190; pad <= 200; ++pad) {
            std::string text = std::string(pad, 'a');
            while (text.size() < 260)
                text += ch;
            const auto m = parse_error_body(503, "text/plain", text).message;
            INFO(pad);
            CHECK(util::is_valid_utf8(m));
            CHECK(m.ends_with("..."));
            CHECK(m.size() <= 203);  // plain-text bodies are capped at 200 bytes
        }
    }
    // Exactly at the cap: nothing was cut, so no "...".
    const std::string exact = R"({"detail":")" + std::string(400, 'c') + R"("})";
    CHECK(parse_error_body(500, "application/json", exact).message == std::string(400, 'c'));
}

TEST_CASE("character references in an HTML error page's title are decoded", "[letta_api]") {
    using protocol::parse_error_body;
    CHECK(parse_error_body(403, "text/html",
                           "<title>Access denied &amp; logged &#8212; &quot;x&quot; &#x27;y&#39; "
                           "&lt;b&gt;</title>")
              .message == "HTML page: Access denied & logged \xE2\x80\x94 \"x\" 'y' <b>");
    // Not references, or not ones we know: left as they are.
    CHECK(parse_error_body(403, "text/html", "<title>a & b &bogus; &#xD800; &#;</title>").message ==
          "HTML page: a & b &bogus; &#xD800; &#;");
}
