// Server-sent events for a StreamSession: bytes as they come, keep-alives while none do.
#include <chrono>
#include <sstream>

#include "api.h"
#include "charrnn/serve/sse.h"

namespace charrnn::serve {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The events for the bytes each stream drew since the last call.
std::string byte_events(const std::vector<std::string>& fresh) {
  std::string out;
  for (size_t k = 0; k < fresh.size(); ++k) {
    if (fresh[k].empty()) continue;
    // "hex" is exact; "text" is for reading (invalid or split UTF-8 shows as U+FFFD).
    out += sse_event("bytes", {{"stream", k}, {"hex", to_hex(fresh[k])}, {"text", fresh[k]}});
  }
  return out;
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

// One call of the chunked content provider: the start event first, then whatever the streams
// drew since the last call; the closing events once they all ended (or the time limit or a
// shutdown cut them off). Returns false when the client is gone.
bool provide(StreamPlan& p, bool& started, SteadyClock::time_point deadline,
             httplib::DataSink& sink) {
  auto send = [&sink](const std::string& s) { return sink.write(s.data(), s.size()); };
  if (!started) {
    started = true;
    return send(p.start);
  }
  // Wake at least once a second: a keep-alive write finds a client that went away.
  const auto now = SteadyClock::now();
  const auto update = p.session->take(std::min(deadline, now + std::chrono::seconds(1)));
  std::string out = byte_events(update.fresh);
  if (update.ended) {
    out += update.finished ? p.finish(*p.session)
                           : sse_event("error", {{"error", "the streams were cancelled"}});
  } else if (p.stopping && *p.stopping) {
    p.session->cancel();
    out += sse_event("error", {{"error", "the server is shutting down"}});
  } else if (SteadyClock::now() >= deadline) {
    p.session->cancel();
    out += sse_event("error", {{"error", "time limit of " + seconds_text(p.time_limit) +
                                             " s reached (ask for fewer bytes or streams)"}});
  } else {
    if (out.empty()) out = ": keep-alive\n\n";
    return send(out);
  }
  if (!send(out)) return false;
  sink.done();
  return true;
}

}  // namespace

void respond_stream(httplib::Response& res, StreamPlan plan) {
  auto p = std::make_shared<StreamPlan>(std::move(plan));
  auto started = std::make_shared<bool>(false);
  const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                 std::chrono::duration<double>(p->time_limit));
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [p, started, deadline](size_t, httplib::DataSink& sink) {
        // Nothing may escape into httplib's worker: an exception there ends the process.
        try {
          return provide(*p, *started, deadline, sink);
        } catch (const std::exception& e) {
          p->session->cancel();
          const std::string out =
              sse_event("error", {{"error", std::string("internal error: ") + e.what()}});
          sink.write(out.data(), out.size());
          sink.done();
          return true;
        }
      },
      // Called when the response is over, sent or not: a client gone mid-stream stops here.
      [p](bool) { p->session->cancel(); });
}

}  // namespace charrnn::serve
