// util::url — splitting a URL as written, and the copy safe to print (issue "The contract holds
// on every path", item 5: a password in the base URL is never printed).
#include <catch2/catch.hpp>

#include "util/url.hpp"

using letta_stream::util::redact_url;
using letta_stream::util::split_url;

TEST_CASE("split_url", "[url]") {
    auto p = split_url("HTTPS://me:pw@[::1]:8283/v1/agents?x=1#f");
    CHECK(p.scheme == "HTTPS");
    CHECK(p.has_userinfo);
    CHECK(p.userinfo == "me:pw");
    CHECK(p.host == "[::1]:8283");
    CHECK(p.tail == "/v1/agents?x=1#f");

    auto bare = split_url("localhost:8283");
    CHECK(bare.scheme.empty());
    CHECK_FALSE(bare.has_userinfo);
    CHECK(bare.host == "localhost:8283");
    CHECK(bare.tail.empty());

    auto query = split_url("http://host?a=b@c");
    CHECK(query.host == "host");
    CHECK(query.tail == "?a=b@c");
    CHECK_FALSE(query.has_userinfo);

    auto empty_user = split_url("http://@host/");
    CHECK(empty_user.has_userinfo);
    CHECK(empty_user.userinfo.empty());
    CHECK(empty_user.host == "host");

    CHECK(split_url("").host.empty());
    CHECK(split_url("http://").host.empty());
}

TEST_CASE("redact_url hides the password", "[url]") {
    CHECK(redact_url("https://me:s3cret@letta.example.com/v1") ==
          "https://me:***@letta.example.com/v1");
    CHECK(redact_url("http://me:s3cret@127.0.0.1:8283") == "http://me:***@127.0.0.1:8283");
    CHECK(redact_url("http://:s3cret@host") == "http://:***@host");
    CHECK(redact_url("http://me:@host") == "http://me:***@host");
    // IPv6 hosts: their colons are not a password.
    CHECK(redact_url("http://[::1]:8283/v1") == "http://[::1]:8283/v1");
    CHECK(redact_url("http://me:s3cret@[::1]:8283/") == "http://me:***@[::1]:8283/");
    CHECK(redact_url("http://[fe80::1%25eth0]/") == "http://[fe80::1%25eth0]/");
    // No scheme.
    CHECK(redact_url("me:s3cret@host:8283/x") == "me:***@host:8283/x");
    CHECK(redact_url("host:8283/x") == "host:8283/x");
    // An unencoded '@' in the password: the userinfo runs to the last '@' of the authority.
    CHECK(redact_url("https://me:p@ss@host/") == "https://me:***@host/");
    // An unencoded '/', '?' or '#' in the password ends the authority early; it is hidden anyway.
    CHECK(redact_url("https://me:pa/ss@host/x") == "https://me:***@host/x");
    CHECK(redact_url("https://me:pa?ss@host") == "https://me:***@host");
    CHECK(redact_url("https://me:pa#ss@host") == "https://me:***@host");
}

TEST_CASE("redact_url leaves everything else as it is", "[url]") {
    for (const char* same :
         {"https://api.letta.com", "https://me@host/v1", "https://host/users/@me",
          "https://host:8283/a:b@c", "https://host/?email=a:b@c", "https://host/#a:b@c",
          "http://[::1]/x@y", "", "not a url", "@", ":", "http://", "https://host:port/x"}) {
        INFO(same);
        CHECK(redact_url(same) == same);
    }
}

TEST_CASE("redact_urls_in hides the password of every URL in a line of text", "[url]") {
    using letta_stream::util::redact_urls_in;
    CHECK(redact_urls_in("Uses proxy env variable https_proxy == 'http://u:s3cret@127.0.0.1:1'") ==
          "Uses proxy env variable https_proxy == 'http://u:***@127.0.0.1:1'");
    CHECK(redact_urls_in("a http://a:b@h/x and socks5h://c:d@e:1 \"https://f:g@i\"") ==
          "a http://a:***@h/x and socks5h://c:***@e:1 \"https://f:***@i\"");
    for (const char* same : {"", "://", "no url here", "http://host/a:b@c", "https://me@host",
                             "Connected to proxy 127.0.0.1 port 3128", "x://@", "a://b:c"}) {
        INFO(same);
        CHECK(redact_urls_in(same) == same);
    }
}
