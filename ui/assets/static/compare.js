// The comparison page: images zoomed and panned together, a flicker and a
// difference view for two runs, differing parameters, curves overlaid.
"use strict";

(() => {
  const data = Stylelab.data("compare-data");
  if (!data) return;
  const $ = (id) => document.getElementById(id);

  const sideViewers = [...document.querySelectorAll("#side .viewer")].map((el) => Stylelab.viewer(el, "compare"));

  // Two runs: flicker between them, or show where they differ.
  const modes = $("modes");
  if (modes) {
    const imgs = [...document.querySelectorAll("#side img.content")];
    const single = Stylelab.viewer($("single-viewer"), "compare");
    const label = $("single-label");
    const flick = Stylelab.el("img", { alt: "flicker between the two runs" });
    flick.draggable = false;
    const canvas = Stylelab.el("canvas");
    let timer = null, shown = 0;
    const stopFlicker = () => { if (timer) clearInterval(timer); timer = null; };
    function flicker() {
      shown = 1 - shown;
      flick.setAttribute("src", imgs[shown].getAttribute("src"));
      label.textContent = "showing run " + data.runs[shown].id + " (" + data.runs[shown].label + ")";
    }
    function difference() {
      const [a, b] = imgs;
      const w = a.naturalWidth, h = a.naturalHeight;
      if (!w || !b.naturalWidth) { label.textContent = "the images have not loaded yet"; return; }
      const gain = Number($("gain").value);
      const ctx = (img) => {
        const c = Stylelab.el("canvas", { width: w, height: h }).getContext("2d", { willReadFrequently: true });
        c.drawImage(img, 0, 0, w, h);
        return c.getImageData(0, 0, w, h);
      };
      const pa = ctx(a), pb = ctx(b);
      canvas.width = w; canvas.height = h;
      const out = canvas.getContext("2d").createImageData(w, h);
      let total = 0;
      for (let i = 0; i < pa.data.length; i += 4) {
        for (let k = 0; k < 3; k++) {
          const d = Math.abs(pa.data[i + k] - pb.data[i + k]);
          total += d;
          out.data[i + k] = Math.min(255, d * gain);
        }
        out.data[i + 3] = 255;
      }
      canvas.getContext("2d").putImageData(out, 0, 0);
      const note = b.naturalWidth !== w || b.naturalHeight !== h ? `, run ${data.runs[1].id} scaled to ${w}×${h}` : "";
      label.textContent = `|run ${data.runs[0].id} − run ${data.runs[1].id}| × ${gain}: mean difference ${(total / (w * h * 3)).toFixed(2)} of 255${note}`;
      single.setContent(canvas);
    }
    function mode() {
      const m = modes.querySelector("input[name=mode]:checked").value;
      stopFlicker();
      $("side").hidden = m !== "side";
      $("single").hidden = m === "side";
      $("gain-control").hidden = m !== "diff";
      if (m === "flicker") {
        single.setContent(flick);
        shown = 1;
        flicker();
        timer = setInterval(flicker, 700);
      } else if (m === "diff") {
        difference();
      }
      for (const v of sideViewers) v.apply();
    }
    modes.addEventListener("change", mode);
    $("gain").addEventListener("input", difference);
  }

  // Parameters: all, or only those that differ.
  const only = $("only-diff");
  only.addEventListener("change", () => $("params").classList.toggle("only-diff", only.checked));

  // Curves: one chart per metric, one line per run.
  const charts = [];
  for (const c of data.charts) {
    const box = Stylelab.el("div", { class: "chart-box" });
    box.append(Stylelab.el("h3", {}, c.key));
    const holder = Stylelab.el("div", { class: "chart" });
    box.append(holder);
    $("charts").append(box);
    const series = c.curves.map((cv, i) => ({ label: data.runs[i].label, color: Stylelab.palette[i % Stylelab.palette.length],
      steps: cv.steps || [], values: cv.values || [] }));
    charts.push({ chart: Stylelab.chart(holder, c.key), series });
  }
  const log = $("log-scale");
  const draw = () => { for (const c of charts) c.chart.draw(c.series, log.checked); };
  log.addEventListener("change", draw);
  draw();
})();
