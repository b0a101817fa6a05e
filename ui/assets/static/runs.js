// The runs table: running runs update live (status, step, losses, image),
// and a notice says when newer runs have started.
"use strict";

(() => {
  const table = document.getElementById("runs");
  if (!table) return;

  // Compare needs two runs ticked.
  const form = document.getElementById("runs-form");
  const button = document.getElementById("compare-button");
  const sync = () => {
    const n = form.querySelectorAll('input[name="id"]:checked').length;
    button.disabled = n < 2;
    button.textContent = n >= 2 ? `Compare ${n} runs` : "Compare selected";
  };
  form.addEventListener("change", sync);
  sync();

  const rows = new Map();
  for (const tr of table.tBodies[0].rows) {
    if (tr.dataset.status === "RUNNING") rows.set(tr.dataset.id, tr);
  }
  const newest = table.dataset.newest;
  const params = new URLSearchParams();
  for (const id of rows.keys()) params.append("id", id);
  if (newest && newest !== "0") params.set("after", newest);
  if (params.toString() === "") return;

  Stylelab.live("/events?" + params.toString(), {
    run: (u) => {
      const tr = rows.get(String(u.id));
      if (!tr) return;
      tr.dataset.status = u.status;
      const badge = tr.querySelector(".status");
      badge.textContent = u.status;
      badge.className = "status s-" + u.status;
      const step = tr.querySelector(".step");
      step.textContent = u.planned ? u.step + "/" + u.planned : String(u.step);
      step.hidden = u.status !== "RUNNING";
      tr.querySelector(".duration").textContent = u.duration;
      for (const [k, v] of Object.entries(u.losses)) {
        const td = tr.querySelector(`td[data-loss="${k}"]`);
        if (td) td.textContent = v;
      }
      if (u.image) {
        const link = tr.querySelector("td.thumb a");
        let img = link.querySelector("img");
        if (!img) {
          img = Stylelab.el("img", { alt: "run " + u.id });
          link.replaceChildren(img);
        }
        if (img.getAttribute("src") !== u.image.thumb) img.setAttribute("src", u.image.thumb);
      }
      tr.classList.remove("updated");
      void tr.offsetWidth; // restart the flash
      tr.classList.add("updated");
    },
    newer: (n) => {
      const box = document.getElementById("newer");
      if (!box) return;
      box.hidden = n.count === 0;
      box.querySelector("span").textContent = n.count === 1 ? "1 newer run has started." : n.count + " newer runs have started.";
      box.querySelector("a").setAttribute("href", location.pathname + location.search);
    },
  });

})();
