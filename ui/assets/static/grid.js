// The grid page: picking a row or column parameter redraws the grid.
"use strict";

(() => {
  const form = document.getElementById("grid-form");
  if (!form) return;
  for (const id of ["rows", "cols"]) {
    document.getElementById(id).addEventListener("change", () => form.requestSubmit());
  }
})();
