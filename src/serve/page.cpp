// The page at "/": HTML, CSS and JavaScript in one document served from the binary, so the
// playground works offline. Generated text is only ever inserted as text (textContent), and
// bytes that are not displayable UTF-8 show as \xNN, as the terminal shows them.
#include "api.h"

namespace charrnn::serve {

const std::string& page_html() {
  static const std::string page = R"PAGE(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>charrnn playground</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:12px;background:#fafafa;color:#222}
h1{font-size:20px;margin:0 0 8px}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:8px}
label{display:flex;flex-direction:column;font-size:13px}
textarea{width:min(100%,600px);height:3em;font:14px monospace}
input[type=number]{width:7em}
button{font-size:14px;padding:4px 10px}
#columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:8px}
.col{background:#fff;border:1px solid #ccc;border-radius:6px;padding:6px;min-width:0}
.col header{display:flex;gap:6px;align-items:center;font-size:13px}
.col header input[type=range]{flex:1}
.col pre{white-space:pre-wrap;word-break:break-word;font:13px/1.35 monospace;margin:6px 0 0;
  max-height:60vh;overflow:auto}
#status{font-size:13px;color:#555;margin:6px 0}
#status.error{color:#b00}
table{border-collapse:collapse;font-size:13px;margin-top:10px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
#chart{max-width:600px;width:100%;height:auto;margin-top:10px;background:#fff;border:1px solid #ccc}
</style></head><body>
<h1>charrnn playground</h1>
<div class="controls">
 <label>model <select id="model"></select></label>
 <label>prime <textarea id="prime"></textarea></label>
 <label>length <input id="length" type="number" min="0" max="100000" value="400"></label>
 <label>seed <input id="seed" type="number" min="0" value="1234"></label>
 <button id="add">+ column</button>
 <button id="go">Generate</button>
</div>
<div id="status"></div>
<div id="columns"></div>
<div id="metrics"></div>
<svg id="chart" viewBox="0 0 600 240" role="img" aria-label="metrics vs temperature"></svg>
<pre id="test-hook" hidden></pre>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const columns = [];  // {t, bytes: number[], pre, slider, label}
let running = null;

// The terminal's display rule (display_bytes.cpp): printable ASCII, newlines and
// well-formed UTF-8 as they are; tab, CR as \t \r; every other byte as \xNN.
function utf8Len(b, i) {
  const b0 = b[i];
  const n = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 :
            b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  let cp = b0 & (0x7f >> n);
  for (let k = 1; k < n; k++) {
    if ((b[i + k] & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b[i + k] & 0x3f);
  }
  const min = [0, 0, 0x80, 0x800, 0x10000][n];
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp <= 0x9f) return 0;
  return n;
}
function displayBytes(b) {
  let out = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    const n = c >= 0x80 ? utf8Len(b, i) : 0;
    if (n > 0) {
      out += new TextDecoder().decode(new Uint8Array(b.slice(i, i + n)));
      i += n - 1;
    } else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else if (c === 10) out += "\n";
    else if (c === 9) out += "\\t";
    else if (c === 13) out += "\\r";
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out;
}
function hexBytes(h) {
  const out = [];
  for (let i = 0; i < h.length; i += 2) out.push(parseInt(h.substr(i, 2), 16));
  return out;
}
function setStatus(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

function addColumn(t) {
  const col = {t, bytes: []};
  const div = document.createElement("div");
  div.className = "col";
  const head = document.createElement("header");
  col.label = document.createElement("span");
  col.slider = document.createElement("input");
  Object.assign(col.slider, {type: "range", min: "0", max: "2", step: "0.05", value: String(t)});
  col.slider.setAttribute("aria-label", "temperature");
  const remove = document.createElement("button");
  remove.textContent = "\u00d7";
  remove.title = "remove this column";
  col.pre = document.createElement("pre");
  const relabel = () => { col.t = Number(col.slider.value); col.label.textContent = "T = " + col.t.toFixed(2); };
  col.slider.addEventListener("input", relabel);
  remove.addEventListener("click", () => {
    if (columns.length <= 1) return;
    columns.splice(columns.indexOf(col), 1);
    div.remove();
  });
  relabel();
  head.append(col.label, col.slider, remove);
  div.append(head, col.pre);
  col.div = div;
  $("columns").append(div);
  columns.push(col);
}

// Server-sent events from a fetch body: calls onEvent(name, data) per event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buf += decoder.decode(value, {stream: true});
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

const METRICS = [["log_likelihood", "log p"], ["entropy", "entropy"], ["distinct_2", "distinct-2"],
  ["distinct_3", "distinct-3"], ["longest_repeat", "repeat"], ["in_corpus_words", "words ok"],
  ["longest_copy", "copy"], ["window_share", "window share"]];

function showMetrics(result) {
  const table = document.createElement("table");
  const head = table.insertRow();
  for (const h of ["T"].concat(METRICS.map((m) => m[1]))) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  for (const t of result.temperatures) {
    const row = table.insertRow();
    row.insertCell().textContent = t.temperature.toFixed(2);
    for (const [key] of METRICS) {
      const v = t.summary[key];
      row.insertCell().textContent = v === null || v === undefined ? "\u2013" :
        Number.isInteger(v) ? String(v) : v.toFixed(3);
    }
  }
  $("metrics").replaceChildren(table);
  drawChart(result);
}

// entropy (nats), words ok and distinct-2 (shares) against temperature, each scaled to its max.
function drawChart(result) {
  const svg = $("chart");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const W = 600, H = 240, L = 40, R = 170, T = 10, B = 30;
  const ts = result.temperatures.map((t) => t.temperature);
  const tmin = Math.min(...ts), tmax = Math.max(...ts, tmin + 1e-9);
  const x = (t) => L + (W - L - R) * (t - tmin) / (tmax - tmin);
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
  };
  el("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888"});
  for (const t of ts) el("text", {x: x(t), y: H - 10, "font-size": 11, "text-anchor": "middle"}, t.toFixed(2));
  const series = [["entropy", "entropy", "#d62728"], ["in_corpus_words", "words ok", "#2ca02c"],
                  ["distinct_2", "distinct-2", "#1f77b4"]];
  series.forEach(([key, name, color], i) => {
    const pts = result.temperatures.filter((t) => typeof t.summary[key] === "number");
    if (!pts.length) return;
    const max = Math.max(...pts.map((t) => t.summary[key]), 1e-9);
    const y = (v) => H - B - (H - B - T) * v / max;
    el("polyline", {fill: "none", stroke: color, "stroke-width": 2,
      points: pts.map((t) => x(t.temperature) + "," + y(t.summary[key])).join(" ")});
    el("text", {x: W - R + 8, y: T + 14 + 16 * i, fill: color, "font-size": 12},
       name + " (max " + max.toFixed(2) + ")");
  });
}

async function generate() {
  if (running) running.abort();
  const sorted = columns.slice().sort((a, b) => a.t - b.t);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].t === sorted[i - 1].t) return setStatus("two columns have T = " + sorted[i].t + ": move a slider", true);
  }
  sorted.forEach((c) => { c.bytes = []; c.pre.textContent = ""; $("columns").append(c.div); });
  columns.splice(0, columns.length, ...sorted);
  const body = {model: $("model").value, prime: $("prime").value,
                temperatures: sorted.map((c) => c.t), length: Number($("length").value)};
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  running = new AbortController();
  setStatus("generating\u2026");
  $("test-hook").textContent = "";
  try {
    const res = await fetch("/api/compare", {method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json"}, signal: running.signal});
    if (!res.ok) return setStatus((await res.json()).error, true);
    const pending = new Set();
    let frame = 0;
    const flush = () => { frame = 0; for (const c of pending) c.pre.textContent = displayBytes(c.bytes); pending.clear(); };
    await readEvents(res, (name, data) => {
      if (name === "bytes") {
        const c = columns[data.stream];
        for (const b of hexBytes(data.hex)) c.bytes.push(b);
        pending.add(c);
        if (!frame) frame = requestAnimationFrame(flush);
      } else if (name === "result") {
        flush();
        showMetrics(data);
      } else if (name === "done") {
        flush();
        setStatus("done in " + data.seconds.toFixed(2) + " s (seed " + data.seed + ")");
        $("test-hook").textContent = JSON.stringify(columns.map((c) =>
          ({temperature: c.t, hex: c.bytes.map((b) => b.toString(16).padStart(2, "0")).join("")})));
      } else if (name === "error") setStatus(data.error, true);
    });
  } catch (e) {
    if (e.name !== "AbortError") setStatus(String(e), true);
  }
}

async function start() {
  const q = new URLSearchParams(location.search);
  try {
    const res = await fetch("/api/models");
    const {models} = await res.json();
    for (const m of models) {
      const o = document.createElement("option");
      o.value = m.name;
      o.textContent = m.name + " (" + m.layers + "\u00d7" + m.hidden + ", step " + m.step + ")";
      $("model").append(o);
    }
    if (!models.length) setStatus("no runs under --models yet: train one first", true);
  } catch (e) { setStatus("cannot list models: " + e, true); }
  // ?model=..&prime=..&temps=0.2,1.0&seed=..&length=..&run=1 fills the form (and runs it).
  if (q.has("model")) $("model").value = q.get("model");
  if (q.has("prime")) $("prime").value = q.get("prime");
  if (q.has("seed")) $("seed").value = q.get("seed");
  if (q.has("length")) $("length").value = q.get("length");
  const temps = (q.get("temps") || "0.2,0.5,1.0").split(",").map(Number);
  for (const t of temps) addColumn(t);
  $("add").addEventListener("click", () => addColumn(Math.min(2, columns.length ? columns[columns.length - 1].t + 0.25 : 1)));
  $("go").addEventListener("click", generate);
  if (q.get("run") === "1") generate();
}
start();
</script></body></html>
)PAGE";
  return page;
}

}  // namespace charrnn::serve
