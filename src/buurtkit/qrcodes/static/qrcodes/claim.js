/* Claim a blank code: show only the field that belongs to the chosen answer (without
   JavaScript all are shown). */
(function () {
  "use strict";
  var radios = document.querySelectorAll("form.claim input[name=target]");
  function show() {
    var chosen = document.querySelector("form.claim input[name=target]:checked");
    document.querySelectorAll("form.claim .target-part").forEach(function (part) {
      if (part.dataset.target !== "link") part.hidden = !chosen || part.dataset.target !== chosen.value;
    });
  }
  radios.forEach(function (r) { r.addEventListener("change", show); });
  show();
})();
