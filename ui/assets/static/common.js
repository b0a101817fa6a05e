// Stylelab's web page: helpers shared by the pages. Text from the store is
// only ever put into the page with textContent or attributes, never as HTML.
"use strict";

const Stylelab = (() => {
  const svgNS = "http://www.w3.org/2000/svg";

  // el makes an element with attributes and text.
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // num writes a value with four significant digits, as the tables do.
  function num(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "NaN";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e4)) {
      return v.toExponential(3).replace(/\.?0+e/, "e").replace(/e([+-])(\d)$/, "e$10$2");
    }
    return String(Number(v.toPrecision(4)));
  }

  // data reads the JSON a page embeds in <script type="application/json" id=...>.
  function data(id) {
    const s = document.getElementById(id);
    return s ? JSON.parse(s.textContent) : null;
  }

  // live listens to server-sent events; the server ends a stream with "end".
  function live(url, handlers) {
    const es = new EventSource(url);
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    }
    es.addEventListener("end", () => es.close());
    es.addEventListener("problem", (e) => console.warn("stylelab: live updates:", JSON.parse(e.data).error));
    window.addEventListener("pagehide", () => es.close());
    return es;
  }

  // --- Image viewers: zoom and pan, synchronised within a group. ---

  // A group's view: zoom relative to fitting the image, and the image point
  // (as fractions of its size) at the centre of every viewer of the group.
  const groups = new Map();

  function group(name) {
    if (!groups.has(name)) groups.set(name, { zoom: 1, cx: 0.5, cy: 0.5, viewers: [] });
    return groups.get(name);
  }

  // viewer makes el (holding an <img> or <canvas> of class content) zoomable.
  function viewer(el, groupName) {
    const g = group(groupName || el.id || "solo");
    const label = Stylelab.el("span", { class: "zoom" });
    const tools = Stylelab.el("div", { class: "tools" });
    const v = { el, g, content: el.querySelector(".content") };
    const button = (text, title, fn) => {
      const b = Stylelab.el("button", { type: "button", title: title, "aria-label": title }, text);
      b.addEventListener("click", (e) => { e.stopPropagation(); fn(); });
      tools.append(b);
    };
    button("+", "zoom in", () => zoomBy(v, 1.5));
    button("−", "zoom out", () => zoomBy(v, 1 / 1.5));
    button("1:1", "one image pixel per screen pixel", () => { g.zoom = 1 / fitScale(v); update(g); });
    button("fit", "fit the image", () => reset(g));
    el.append(tools, label);
    v.label = label;

    v.size = () => {
      const c = v.content;
      if (!c) return null;
      const w = c.naturalWidth || c.width, h = c.naturalHeight || c.height;
      return w && h ? { w, h } : null;
    };
    v.apply = () => {
      const s = v.size();
      if (!s || !v.el.clientWidth) return;
      const scale = fitScale(v) * g.zoom;
      const tx = v.el.clientWidth / 2 - g.cx * s.w * scale;
      const ty = v.el.clientHeight / 2 - g.cy * s.h * scale;
      v.content.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
      v.el.classList.toggle("pixels", g.zoom > 1 && scale > 2); // zoomed in: show the pixels
      v.label.textContent = Math.round(scale * 100) + "%";
    };
    v.setContent = (c) => {
      if (v.content && v.content !== c) v.content.remove();
      v.content = c;
      c.classList.add("content");
      if (!c.isConnected) el.prepend(c);
      if (c.tagName === "IMG" && !c.complete) c.addEventListener("load", v.apply, { once: true });
      v.apply();
    };

    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      zoomBy(v, Math.pow(1.2, -e.deltaY / 100), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    let drag = null;
    el.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".tools")) return;
      drag = { x: e.clientX, y: e.clientY };
      el.setPointerCapture(e.pointerId);
      el.classList.add("dragging");
    });
    el.addEventListener("pointermove", (e) => {
      const s = v.size();
      if (!drag || !s) return;
      const scale = fitScale(v) * g.zoom;
      g.cx -= (e.clientX - drag.x) / (s.w * scale);
      g.cy -= (e.clientY - drag.y) / (s.h * scale);
      drag = { x: e.clientX, y: e.clientY };
      update(g);
    });
    const stop = () => { drag = null; el.classList.remove("dragging"); };
    el.addEventListener("pointerup", stop);
    el.addEventListener("pointercancel", stop);
    el.addEventListener("dblclick", () => reset(g));
    if (v.content && v.content.tagName === "IMG") {
      v.content.addEventListener("load", v.apply);
      v.content.draggable = false;
    }
    new ResizeObserver(v.apply).observe(el);
    g.viewers.push(v);
    v.apply();
    return v;
  }

  function fitScale(v) {
    const s = v.size();
    if (!s) return 1;
    return Math.min(v.el.clientWidth / s.w, v.el.clientHeight / s.h);
  }

  // zoomBy zooms about a point of viewer v (its centre by default),
  // keeping the image point under it still.
  function zoomBy(v, f, px, py) {
    const g = v.g, s = v.size();
    if (!s) return;
    const W = v.el.clientWidth, H = v.el.clientHeight;
    if (px === undefined) { px = W / 2; py = H / 2; }
    const before = fitScale(v) * g.zoom;
    g.zoom = Math.min(64, Math.max(0.1, g.zoom * f));
    const after = fitScale(v) * g.zoom;
    // The image point under (px, py) stays there.
    const ix = g.cx + (px - W / 2) / (s.w * before);
    const iy = g.cy + (py - H / 2) / (s.h * before);
    g.cx = ix - (px - W / 2) / (s.w * after);
    g.cy = iy - (py - H / 2) / (s.h * after);
    update(g);
  }

  function reset(g) { g.zoom = 1; g.cx = 0.5; g.cy = 0.5; update(g); }
  function update(g) { for (const v of g.viewers) v.apply(); }

  // --- Charts: lines on linear or log axes, drawn as SVG, with hover. ---

  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939"];

  // chart draws series [{label, color, steps, values}] into container and
  // returns {draw(series, log)} to draw again.
  function chart(container, title) {
    container.replaceChildren();
    const tip = el("div", { class: "tip", hidden: "" });
    const holder = el("div");
    const legend = el("div", { class: "legend" });
    container.append(holder, tip, legend);
    const W = 640, H = 280, m = { l: 62, r: 14, t: 10, b: 30 };
    let state = null;

    function draw(series, log) {
      series = series.filter((s) => s.steps.length > 0);
      holder.replaceChildren();
      legend.replaceChildren();
      const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title || "loss curves" });
      holder.append(root);
      if (series.length === 0) {
        root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", fill: "#667085" }, "no values yet"));
        state = null;
        return;
      }
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const s of series) {
        for (let i = 0; i < s.steps.length; i++) {
          const y = s.values[i];
          x0 = Math.min(x0, s.steps[i]); x1 = Math.max(x1, s.steps[i]);
          if (y === null || (log && y <= 0)) continue;
          y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      }
      if (!Number.isFinite(y0)) { y0 = log ? 1 : 0; y1 = log ? 10 : 1; }
      if (x1 === x0) x1 = x0 + 1;
      if (y1 === y0) { if (log) { y0 /= 2; y1 *= 2; } else { y0 -= 1; y1 += 1; } }
      const ly = (y) => log ? Math.log10(y) : y;
      const a = ly(y0), b = ly(y1);
      const X = (x) => m.l + (x - x0) / (x1 - x0) * (W - m.l - m.r);
      const Y = (y) => H - m.b - (ly(y) - a) / (b - a) * (H - m.t - m.b);
      const axis = svg("g", { class: "axis" });
      for (const t of log ? logTicks(y0, y1) : niceTicks(y0, y1, 5)) {
        const y = Y(t);
        axis.append(svg("line", { x1: m.l, x2: W - m.r, y1: y, y2: y }));
        axis.append(svg("text", { x: m.l - 6, y: y + 4, "text-anchor": "end" }, num(t)));
      }
      for (const t of niceTicks(x0, x1, 6).filter((t) => Number.isInteger(t))) {
        const x = X(t);
        axis.append(svg("line", { x1: x, x2: x, y1: H - m.b, y2: H - m.b + 4 }));
        axis.append(svg("text", { x: x, y: H - m.b + 16, "text-anchor": "middle" }, String(t)));
      }
      axis.append(svg("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }));
      axis.append(svg("text", { x: W - m.r, y: H - 2, "text-anchor": "end" }, "step"));
      root.append(axis);
      series.forEach((s, k) => {
        const color = s.color || palette[k % palette.length];
        let d = "", pen = false;
        for (let i = 0; i < s.steps.length; i++) {
          const y = s.values[i];
          if (y === null || (log && y <= 0)) { pen = false; continue; }
          d += (pen ? "L" : "M") + X(s.steps[i]).toFixed(1) + " " + Y(y).toFixed(1);
          pen = true;
        }
        root.append(svg("path", { class: "line", d: d, stroke: color }));
        const sw = el("span", { class: "swatch" });
        sw.style.background = color;
        const item = el("span");
        item.append(sw, document.createTextNode(" " + s.label));
        legend.append(item);
      });
      const hover = svg("g", { class: "hover", visibility: "hidden" });
      const rule = svg("line", { y1: m.t, y2: H - m.b });
      hover.append(rule);
      const dots = series.map((s, k) => {
        const c = svg("circle", { r: 3, fill: s.color || palette[k % palette.length] });
        hover.append(c);
        return c;
      });
      root.append(hover);
      const pad = svg("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: "transparent" });
      root.append(pad);
      state = { series, X, Y, x0, x1, root, hover, rule, dots, log };
      pad.addEventListener("mousemove", onMove);
      pad.addEventListener("mouseleave", () => { hover.setAttribute("visibility", "hidden"); tip.hidden = true; });
    }

    function onMove(e) {
      const st = state;
      if (!st) return;
      const r = st.root.getBoundingClientRect();
      const x = (e.clientX - r.left) / r.width * W;
      const step = st.x0 + (x - m.l) / (W - m.l - m.r) * (st.x1 - st.x0);
      // The nearest logged step of any series.
      let best = null;
      for (const s of st.series) {
        const i = nearest(s.steps, step);
        if (best === null || Math.abs(s.steps[i] - step) < Math.abs(best - step)) best = s.steps[i];
      }
      const lines = ["step " + best];
      st.series.forEach((s, k) => {
        const i = nearest(s.steps, best);
        const dot = st.dots[k];
        if (s.steps[i] === best && s.values[i] !== null && !(st.log && s.values[i] <= 0)) {
          dot.setAttribute("cx", st.X(best)); dot.setAttribute("cy", st.Y(s.values[i]));
          dot.setAttribute("visibility", "visible");
          lines.push(s.label + ": " + num(s.values[i]));
        } else {
          dot.setAttribute("visibility", "hidden");
        }
      });
      st.rule.setAttribute("x1", st.X(best)); st.rule.setAttribute("x2", st.X(best));
      st.hover.setAttribute("visibility", "visible");
      tip.replaceChildren(...lines.map((l, i) => i === 0 ? el("b", {}, l) : el("div", {}, l)));
      tip.hidden = false;
      const px = st.X(best) / W * r.width;
      const left = px + 12 + tip.offsetWidth > r.width ? px - 12 - tip.offsetWidth : px + 12;
      tip.style.left = left + "px";
      tip.style.top = "8px";
    }

    return { draw };
  }

  // nearest is the index of the step in sorted steps closest to x.
  function nearest(steps, x) {
    let lo = 0, hi = steps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (steps[mid] < x) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(steps[lo - 1] - x) <= Math.abs(steps[lo] - x)) lo--;
    return lo;
  }

  function niceTicks(lo, hi, n) {
    const span = hi - lo;
    const step0 = Math.pow(10, Math.floor(Math.log10(span / n)));
    const err = span / n / step0;
    const step = step0 * (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1);
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
    return out;
  }

  function logTicks(lo, hi) {
    const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
    const out = [];
    const mults = b - a <= 2 ? [1, 2, 5] : [1];
    const every = Math.max(1, Math.ceil((b - a) / 6));
    for (let e = a; e <= b; e += every) {
      for (const k of mults) {
        const t = k * Math.pow(10, e);
        if (t >= lo * 0.999 && t <= hi * 1.001) out.push(t);
      }
    }
    return out.length ? out : [lo, hi];
  }

  return { el, svg, num, data, live, viewer, chart, palette };
})();
