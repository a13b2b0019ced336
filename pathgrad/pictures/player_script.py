"""The step player's script: plain JavaScript, inline in the page, loading nothing.

``SCRIPT`` is a function expression; the page calls it with the player's element id
and its options, ``{"present": bool, "page": bool}``. It replays the frames that
:func:`pathgrad.pictures.steps.frame_data` wrote as JSON (``n`` nodes that appear,
``f`` nodes outlined, ``e`` edges lit, ``a`` ∂loss/∂node texts, ``c`` complete, ``m``
paths meet, ``h``/``t`` the caption), marks the step's node and edges ``pg-active``, and
keeps them in view: scrolled into the figure when they leave it, centred in presenter
mode. Zoom resizes the SVG inside the scrolled figure, keeping the point under the
pointer (or the figure's centre) where it is.

>>> SCRIPT.lstrip().startswith("(function (id, options)")
True
"""

SCRIPT = """
(function (id, options) {
  var near = document.currentScript && document.currentScript.previousElementSibling;
  var root = near && near.id === id ? near : document.getElementById(id);  // twice on a page
  var frames = JSON.parse(root.querySelector("script.frames").textContent);
  var figure = root.querySelector(".figure"), svg = figure.querySelector("svg");
  var natural = { w: svg.viewBox.baseVal.width, h: svg.viewBox.baseVal.height };
  var nodes = {}, edges = [], notes = {};
  function find(selector) { return root.querySelector(selector); }
  function each(selector, f) { Array.prototype.forEach.call(root.querySelectorAll(selector), f); }
  each("g.node", function (g) { nodes[g.getAttribute("data-node")] = g; });
  each("g.edge", function (g) { edges.push(g); });
  each("text.adjoint", function (t) { notes[t.getAttribute("data-node")] = t; });
  var slider = find("input.step"), counter = find(".counter"), zoomText = find(".zoom");
  var heading = find(".heading"), detail = find(".detail"), play = find("button.play");
  var current = 0, timer = null, scale = 1, drag = null, full = false, before = false;
  function mark(element, name, on) { element.classList.toggle(name, !!on); }
  function set(list) { var s = {}; list.forEach(function (x) { s[x] = true; }); return s; }
  function presenting() { return root.classList.contains("pg-present"); }

  // -- zoom: the SVG drawn at `scale` times its size inside the scrolled figure
  function resize(s) {
    scale = Math.max(0.05, Math.min(8, s));
    svg.style.width = natural.w * scale + "px";
    svg.style.height = natural.h * scale + "px";
    zoomText.textContent = Math.round(scale * 100) + "%";
  }
  function zoomAt(s, x, y) {  // keep what is under (x, y), or the centre, where it is
    var view = figure.getBoundingClientRect(), box = svg.getBoundingClientRect();
    if (x === undefined) {
      x = view.left + figure.clientLeft + figure.clientWidth / 2;
      y = view.top + figure.clientTop + figure.clientHeight / 2;
    }
    var u = (x - box.left) / scale, v = (y - box.top) / scale;
    resize(s);
    box = svg.getBoundingClientRect();
    figure.scrollLeft += box.left + u * scale - x;
    figure.scrollTop += box.top + v * scale - y;
  }
  function room() {  // the figure's inside: all of it when presenting, else up to its max-height
    var view = figure.getBoundingClientRect();
    var w = view.width - 2 * figure.clientLeft, h = view.height - 2 * figure.clientTop;
    if (!presenting()) {
      var most = parseFloat(getComputedStyle(figure).maxHeight);
      if (most > 0) { h = most - 2 * figure.clientTop; }
    }
    return { w: w, h: h };
  }
  function fitted() { var r = room(); return Math.min(r.w / natural.w, r.h / natural.h); }
  function fit() { resize(fitted()); figure.scrollLeft = 0; figure.scrollTop = 0; }
  function start() {  // presenting: large, or the whole graph if larger; else as drawn, or a
    if (presenting()) { return Math.min(3, Math.max(fitted(), 1.4)); }  // little smaller to fit
    var across = room().w / natural.w;
    return across >= 1 || across < 0.75 ? 1 : across;
  }

  // -- following the action: the step's nodes in view, centred when presenting
  function bounds(elements) {
    var r = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
    elements.forEach(function (e) {
      var b = e.getBoundingClientRect();
      r.left = Math.min(r.left, b.left); r.top = Math.min(r.top, b.top);
      r.right = Math.max(r.right, b.right); r.bottom = Math.max(r.bottom, b.bottom);
    });
    return r;
  }
  function along(spans, from, to, centre) {  // how far to scroll on one axis
    var margin = 24, room = to - from - 2 * margin;  // the first span that fits, else the last
    var span = spans.filter(function (s) { return s[1] - s[0] <= room; })[0];
    if (!span) { return spans[spans.length - 1][0] - from - margin; }  // too long: its start
    if (centre || span[0] < from + margin || span[1] > to - margin) {
      return (span[0] + span[1] - from - to) / 2;
    }
    return 0;
  }
  function follow() {  // the step's nodes, with its edges and their operands where they fit
    var active = [], around = [];
    frames[current].f.forEach(function (n) { if (nodes[n]) { active.push(nodes[n]); } });
    if (!active.length) { return; }
    edges.forEach(function (g) {
      var operand = nodes[g.getAttribute("data-operand")];
      if (g.classList.contains("pg-active")) { around.push(g); if (operand) { around.push(operand); } }
    });
    var view = figure.getBoundingClientRect(), a = bounds(active.concat(around)), r = bounds(active);
    var left = view.left + figure.clientLeft, top = view.top + figure.clientTop;
    var right = left + figure.clientWidth, bottom = top + figure.clientHeight;
    figure.scrollLeft += along([[a.left, a.right], [r.left, r.right]], left, right, presenting());
    figure.scrollTop += along([[a.top, a.bottom], [r.top, r.bottom]], top, bottom, presenting());
    var shown = active.filter(function (node) {  // the page too: the first one seen in the figure
      var b = node.getBoundingClientRect();
      return b.left >= left && b.top >= top && b.right <= right && b.bottom <= bottom;
    })[0] || active[0];
    var b = shown.getBoundingClientRect();
    if (b.top < 0 || b.left < 0 || b.bottom > window.innerHeight || b.right > window.innerWidth) {
      shown.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  // -- the steps
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    var seen = {}, text = {}, done = {}, i, n, f;
    for (i = 0; i <= current; i++) {
      f = frames[i];
      f.n.forEach(function (x) { seen[x] = true; });
      for (n in f.a) { text[n] = f.a[n]; }
      f.c.forEach(function (x) { done[x] = true; });
    }
    f = frames[current];
    var all = f.p === "backward", focus = set(f.f), lit = set(f.e);
    for (n in nodes) {
      mark(nodes[n], "step-hidden", !all && !seen[n]);
      mark(nodes[n], "step-focus", focus[n]);
      mark(nodes[n], "pg-active", focus[n]);
    }
    edges.forEach(function (g) {
      var a = g.getAttribute("data-consumer"), b = g.getAttribute("data-operand");
      var on = lit[g.getAttribute("data-edge")];
      mark(g, "step-hidden", !all && !(seen[a] && seen[b]));
      mark(g, "step-lit", on);
      mark(g, "pg-active", on);
    });
    for (n in notes) {
      notes[n].textContent = text[n] || "";
      mark(notes[n], "step-complete", done[n]);
    }
    heading.textContent = f.h;
    detail.textContent = f.t;
    slider.value = current;
    counter.textContent = "step " + (current + 1) + " / " + frames.length;
    follow();
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25B6 play";
  }
  function tick() {
    if (current >= frames.length - 1) { stop(); return; }
    show(current + 1);
    if (frames[current].m) { stop(); }
  }

  // -- presenter mode and full screen
  function presenter(on) {
    mark(root, "pg-present", on);
    root.setAttribute("data-present", on ? "true" : "false");
    find("button.present").textContent = on ? "leave presenter" : "presenter";
    resize(start());
    follow();
  }
  function fullScreen() {
    if (document.fullscreenElement) { document.exitFullscreen(); return; }
    if (!root.requestFullscreen) { return; }
    before = presenting();
    root.requestFullscreen().then(function () { full = true; presenter(true); }, function () {});
  }
  document.addEventListener("fullscreenchange", function () {
    if (full && document.fullscreenElement !== root) { full = false; presenter(before); }
  });
  window.addEventListener("resize", function () { if (presenting()) { follow(); } });

  // -- buttons, wheel, dragging, keys
  find("button.first").onclick = function () { stop(); show(0); };
  find("button.prev").onclick = function () { stop(); show(current - 1); };
  find("button.next").onclick = function () { stop(); show(current + 1); };
  find("button.zoom-in").onclick = function () { zoomAt(scale * 1.25); };
  find("button.zoom-out").onclick = function () { zoomAt(scale / 1.25); };
  find("button.fit").onclick = fit;
  find("button.present").onclick = function () { presenter(!presenting()); };
  find("button.full").onclick = fullScreen;
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (current >= frames.length - 1) { show(0); }
    timer = setInterval(tick, 1100);
    play.textContent = "\\u275A\\u275A pause";
  };
  slider.oninput = function () { stop(); show(+slider.value); };
  figure.addEventListener("wheel", function (event) {
    if (!presenting() && !event.ctrlKey && !event.metaKey) { return; }  // the page scrolls
    event.preventDefault();
    zoomAt(scale * Math.exp(-event.deltaY / 500), event.clientX, event.clientY);
  }, { passive: false });
  figure.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || event.pointerType === "touch") { return; }
    drag = { x: event.clientX, y: event.clientY, left: figure.scrollLeft, top: figure.scrollTop };
    figure.setPointerCapture(event.pointerId);
    mark(figure, "pg-dragging", true);
  });
  figure.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    figure.scrollLeft = drag.left - (event.clientX - drag.x);
    figure.scrollTop = drag.top - (event.clientY - drag.y);
  });
  function release() { drag = null; mark(figure, "pg-dragging", false); }
  figure.addEventListener("pointerup", release);
  figure.addEventListener("pointercancel", release);
  var keys = {
    ArrowRight: function () { stop(); show(current + 1); },
    PageDown: function () { stop(); show(current + 1); },
    " ": function () { stop(); show(current + 1); },
    ArrowLeft: function () { stop(); show(current - 1); },
    PageUp: function () { stop(); show(current - 1); },
    Home: function () { stop(); show(0); },
    End: function () { stop(); show(frames.length - 1); },
    "+": function () { zoomAt(scale * 1.25); },
    "=": function () { zoomAt(scale * 1.25); },
    "-": function () { zoomAt(scale / 1.25); },
    "0": fit,
    f: fullScreen,
    p: function () { presenter(!presenting()); },
    Escape: function () { if (presenting() && !document.fullscreenElement) { presenter(false); } }
  };
  function onKey(event) {
    var target = event.target, tag = target && target.tagName, key = event.key;
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    if (tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable) ||
        (tag === "INPUT" && target.type !== "range")) { return; }
    if (tag === "BUTTON" && (key === " " || key === "Enter")) { return; }
    var action = keys[key.length === 1 ? key.toLowerCase() : key];
    if (!action) { return; }
    action();
    event.preventDefault();
    event.stopPropagation();
  }
  (options.page ? document : root).addEventListener("keydown", onKey);

  var asked = /step=(\\d+)/.exec(window.location.hash);  // a link to one step: page.html#step=9
  show(asked ? +asked[1] - 1 : 0);
  presenter(options.present || /present/.test(window.location.hash));
  if (options.page) { root.focus({ preventScroll: true }); }
})
"""
