// A run's page: the image with zoom, the snapshots on a slider, the loss
// curves, and, while the run is RUNNING, all of them live.
"use strict";

(() => {
  const run = Stylelab.data("run-data");
  if (!run) return;
  const $ = (id) => document.getElementById(id);

  // The image and its timeline.
  const view = Stylelab.viewer($("main-viewer"), "run");
  const image = $("main-image");
  const slider = $("snapshot");
  const snaps = run.snapshots || [];
  const order = (a) => (a.kind === "final" ? Infinity : a.step);
  let following = true; // the slider sits on the newest image

  function show(i) {
    const a = snaps[i];
    if (!a) return;
    if (image.getAttribute("src") !== a.url) image.setAttribute("src", a.url);
    $("main-viewer").hidden = false;
    $("image-missing").hidden = true;
    $("snapshot-label").textContent = a.kind === "final" ? "step " + a.step + " (final)" : "step " + a.step;
    $("image-title").textContent = a.kind === "final" ? "Final image" : "Snapshot at step " + a.step;
  }
  function timeline() {
    $("timeline").hidden = snaps.length < 2;
    slider.max = String(Math.max(0, snaps.length - 1));
    if (following) slider.value = slider.max;
    if (snaps.length) show(Number(slider.value));
  }
  slider.addEventListener("input", () => {
    following = Number(slider.value) === snaps.length - 1;
    show(Number(slider.value));
  });
  timeline();

  // The curves.
  const curves = new Map(run.curves.map((c) => [c.key, c]));
  const picked = new Set(["total", "content", "style"].filter((k) => curves.has(k)));
  if (picked.size === 0 && run.curves.length) picked.add(run.curves[0].key);
  const keys = $("curve-keys");
  const colour = (k) => Stylelab.palette[[...curves.keys()].indexOf(k) % Stylelab.palette.length];
  function checkbox(k) {
    if (k === "evaluations") return; // a count, not a loss
    const box = Stylelab.el("input", { type: "checkbox", value: k });
    box.checked = picked.has(k);
    box.addEventListener("change", () => { box.checked ? picked.add(k) : picked.delete(k); draw(); });
    const label = Stylelab.el("label");
    label.append(box, document.createTextNode(" " + k));
    keys.append(label);
  }
  for (const k of curves.keys()) checkbox(k);
  const chart = Stylelab.chart($("chart"), "losses of run " + run.id);
  const log = $("log-scale");
  function draw() {
    const series = [...curves.values()].filter((c) => picked.has(c.key))
      .map((c) => ({ label: c.key, color: colour(c.key), steps: c.steps, values: c.values }));
    chart.draw(series, log.checked);
  }
  log.addEventListener("change", draw);
  draw();

  if (run.status !== "RUNNING") return;

  // Live: new steps, images and state.
  Stylelab.live(run.events + "?step=" + run.step, {
    metrics: (cs) => {
      for (const c of cs) {
        const have = curves.get(c.key);
        if (!have) {
          curves.set(c.key, c);
          checkbox(c.key);
          continue;
        }
        const last = have.steps.length ? have.steps[have.steps.length - 1] : -1;
        c.steps.forEach((s, i) => {
          if (s > last) { have.steps.push(s); have.values.push(c.values[i]); }
        });
      }
      draw();
    },
    image: (a) => {
      const i = snaps.findIndex((s) => s.id === a.id);
      if (i >= 0) snaps[i] = a; else snaps.push(a);
      snaps.sort((x, y) => order(x) - order(y));
      timeline();
    },
    run: (u) => {
      const badge = $("status");
      badge.textContent = u.status;
      badge.className = "status s-" + u.status;
      $("step").textContent = String(u.step);
      $("duration").textContent = u.duration;
      for (const k of ["total", "content", "style"]) $("loss-" + k).textContent = u.losses[k];
      $("message").textContent = u.message;
      $("message").hidden = !u.message;
      view.apply();
    },
  });
})();
