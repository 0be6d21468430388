/* Announcement form: "n of max characters" under each text box. The translated sentence comes
   from the counter's data-template attribute (no inline script: see docs/operations.md). */
(function () {
  "use strict";
  document.querySelectorAll("[data-count-for]").forEach(function (out) {
    var box = document.getElementById(out.getAttribute("data-count-for"));
    if (!box) return;
    var max = box.getAttribute("maxlength");
    var template = out.getAttribute("data-template") || "%(n)s / %(max)s";
    function show() {
      out.textContent = template.replace("%(n)s", box.value.length).replace("%(max)s", max);
    }
    box.addEventListener("input", show);
    show();
  });
})();
