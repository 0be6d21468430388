/* Routes editor: show only the settings of the chosen action (without JavaScript all are shown). */
(function () {
  "use strict";
  document.querySelectorAll("#routes-form .action-pick").forEach(function (pick) {
    var box = pick.closest("fieldset.action");
    function show() {
      box.querySelectorAll(".action-part").forEach(function (part) {
        part.hidden = part.dataset.action !== pick.value;
      });
    }
    pick.addEventListener("change", show);
    show();
  });
})();
