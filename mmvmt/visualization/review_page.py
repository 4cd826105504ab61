"""The review page: one static HTML file with its CSS and vanilla JS inline.

It reads its tracks from ``data.js`` beside it (``window.REVIEW = {...}``, written by
:mod:`.review_report`): a script file, unlike a JSON file fetched, loads from ``file://``.
The page filters (video, category, pixels changed), sorts and paginates the tracks, shows
each track's changed frames as thumbnails (``thumbs/<video id>/<track id>_<frame>.jpg``,
loaded lazily), keeps the reviewer's accept / reject per track and per frame (in the
browser's local storage, by the corrected file's SHA-256) and downloads them as the
decisions file of :mod:`mmvmt.structures.review_decisions`. ``buildDecisions()`` makes that
file; the download button and the browser test both call it.

The legend's colours are filled in by the report (``@COARSE@`` and the like, as ``(r, g, b)``)
from the colours it draws the thumbnails with.
"""

PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mmvmt correction review</title>
<style>
body { font: 13px/1.35 system-ui, sans-serif; margin: 12px; color: #222; }
h1 { font-size: 17px; margin: 0 0 4px; }
#meta { color: #555; margin-bottom: 8px; }
#controls { display: flex; flex-wrap: wrap; gap: 10px; align-items: center;
            padding: 6px 0; border-bottom: 1px solid #ccc; position: sticky; top: 0;
            background: #fff; z-index: 1; }
table { border-collapse: collapse; width: 100%; margin-top: 6px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 6px; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.strip { display: flex; gap: 6px; overflow-x: auto; max-width: 60vw; }
.frame { border: 2px solid transparent; padding: 1px; text-align: center; }
.frame img { display: block; height: 96px; }
.frame.accept, tr.accept td.decide { border-color: #2a2; background: #e9f7e9; }
.frame.reject, tr.reject td.decide { border-color: #c33; background: #fbeaea; }
button.on { font-weight: bold; outline: 2px solid #333; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; }
</style>
</head>
<body>
<h1>Correction review</h1>
<div id="meta"></div>
<div class="legend">left: coarse<span style="background:rgb@COARSE@"></span>outline,
  <span style="background:rgb@REMOVED@"></span>removed pixels; right: corrected
  <span style="background:rgb@CORRECTED@"></span>outline,
  <span style="background:rgb@ADDED@"></span>added pixels</div>
<div id="controls">
  <label>video <select id="f-video"><option value="">all</option></select></label>
  <label>category <select id="f-category"><option value="">all</option></select></label>
  <label>changed more than <input id="f-min" type="number" min="0"
    placeholder="any" style="width:6em"> px</label>
  <label>sort <select id="sort">
    <option value="changed">pixels changed</option>
    <option value="biou">boundary IoU</option></select></label>
  <button id="prev">&lt; prev</button><span id="page-info"></span>
  <button id="next">next &gt;</button>
  <span id="summary"></span>
  <button id="download">download decisions</button>
</div>
<table>
  <thead><tr><th>#</th><th>track</th><th>video</th><th>category</th><th>added</th>
    <th>removed</th><th>boundary IoU</th><th>confidence</th><th>decision</th>
    <th>changed frames (accept / reject a frame)</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script src="data.js"></script>
<script>
"use strict";
const R = window.REVIEW, PAGE_SIZE = R.page_size;
const storeKey = "mmvmt-review-" + R.corrected_sha256;
let state = {tracks: {}, frames: {}};
try { state = JSON.parse(localStorage.getItem(storeKey)) || state; } catch (e) {}
let page = 0;
const $ = (id) => document.getElementById(id);

function save() {
  try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) {}
  updateSummary();
}

function buildDecisions() {
  const tracks = {};
  const ids = new Set([...Object.keys(state.tracks), ...Object.keys(state.frames)]);
  for (const id of ids) {
    const frames = state.frames[id] || {};
    if (Object.keys(frames).length === 0) {
      if (state.tracks[id]) tracks[id] = state.tracks[id];
    } else {
      tracks[id] = {decision: state.tracks[id] || "reject", frames: Object.assign({}, frames)};
    }
  }
  return {format: "mmvmt-review-decisions", version: 1,
          coarse_sha256: R.coarse_sha256, corrected_sha256: R.corrected_sha256, tracks};
}
window.buildDecisions = buildDecisions;

function filtered() {
  const video = $("f-video").value, cat = $("f-category").value;
  const min = $("f-min").value;  // empty: any change, none included
  const rows = R.tracks.filter((t) => (!video || String(t.video_id) === video) &&
    (!cat || t.category === cat) && (min === "" || t.added + t.removed > Number(min)));
  if ($("sort").value === "biou") {
    rows.sort((a, b) => a.boundary_iou - b.boundary_iou || a.rank - b.rank);
  } else {
    rows.sort((a, b) => a.rank - b.rank);
  }
  return rows;
}

function el(tag, props, children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children || []) e.append(c);
  return e;
}

function setTrack(t, value, tr) {
  const id = String(t.id);
  if (state.tracks[id] === value) delete state.tracks[id]; else state.tracks[id] = value;
  tr.replaceWith(row(t));
  save();
}

function setFrame(t, f, value, box) {
  const id = String(t.id), key = String(f);
  const frames = state.frames[id] || (state.frames[id] = {});
  if (frames[key] === value) delete frames[key]; else frames[key] = value;
  if (Object.keys(frames).length === 0) delete state.frames[id];
  box.className = "frame " + (frames[key] || "");
  save();
}

function row(t) {
  const id = String(t.id), decision = state.tracks[id] || "";
  const tr = el("tr", {className: "track " + decision});
  tr.dataset.id = id;
  const accept = el("button", {className: "accept" + (decision === "accept" ? " on" : ""),
                               textContent: "accept"});
  const reject = el("button", {className: "reject" + (decision === "reject" ? " on" : ""),
                               textContent: "reject"});
  accept.onclick = () => setTrack(t, "accept", tr);
  reject.onclick = () => setTrack(t, "reject", tr);
  const strip = el("div", {className: "strip"});
  for (const [f, added, removed] of t.frames) {
    const fd = (state.frames[id] || {})[String(f)] || "";
    const box = el("div", {className: "frame " + fd});
    box.dataset.t = f;
    const fa = el("button", {className: "faccept", textContent: "\u2713"});
    const fr = el("button", {className: "freject", textContent: "\u2717"});
    fa.onclick = () => setFrame(t, f, "accept", box);
    fr.onclick = () => setFrame(t, f, "reject", box);
    box.append(el("img", {src: `thumbs/${t.video_id}/${t.id}_${f}.jpg`, loading: "lazy",
                          alt: `frame ${f}`}),
               el("div", {textContent: `${f}: +${added} -${removed} `}, [fa, fr]));
    strip.append(box);
  }
  const cells = [t.rank + 1, t.id, t.video, t.category, t.added, t.removed,
                 t.boundary_iou.toFixed(3),
                 t.confidence === null ? "\u2014" : t.confidence.toFixed(3)];
  cells.forEach((v, i) => tr.append(el("td", {textContent: v,
                                              className: i === 3 || i === 2 ? "" : "num"})));
  tr.append(el("td", {className: "decide"}, [accept, " ", reject]), el("td", {}, [strip]));
  return tr;
}

function render() {
  const rows = filtered(), pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  $("rows").replaceChildren(...rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map(row));
  $("page-info").textContent = ` page ${page + 1} / ${pages} (${rows.length} tracks) `;
  updateSummary();
}

function updateSummary() {
  const values = Object.values(state.tracks);
  const frames = Object.values(state.frames).reduce((n, f) => n + Object.keys(f).length, 0);
  $("summary").textContent = `${values.filter((v) => v === "accept").length} accepted, ` +
    `${values.filter((v) => v === "reject").length} rejected, ${frames} frame decisions`;
}

function init() {
  $("meta").textContent = R.meta;
  for (const [id, name] of R.videos) {
    $("f-video").append(el("option", {value: String(id), textContent: name}));
  }
  for (const name of R.categories) {
    $("f-category").append(el("option", {value: name, textContent: name}));
  }
  for (const id of ["f-video", "f-category", "f-min", "sort"]) {
    $(id).oninput = () => { page = 0; render(); };
  }
  $("prev").onclick = () => { page = Math.max(0, page - 1); render(); };
  $("next").onclick = () => { page += 1; render(); };
  $("download").onclick = () => {
    const blob = new Blob([JSON.stringify(buildDecisions(), null, 1)],
                          {type: "application/json"});
    const a = el("a", {href: URL.createObjectURL(blob), download: "decisions.json"});
    document.body.append(a);
    a.click();
    a.remove();
  };
  render();
}
init();
</script>
</body>
</html>
"""
