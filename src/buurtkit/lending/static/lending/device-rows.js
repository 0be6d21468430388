// The donation intake form: "Add a row" copies the empty device row (a <template>) and counts
// it in the formset's TOTAL_FORMS. Without JavaScript the form still works with its three rows.
(function () {
  "use strict";
  var button = document.getElementById("add-device-row");
  var template = document.getElementById("device-row-template");
  var rows = document.getElementById("device-rows");
  var total = document.getElementById("id_devices-TOTAL_FORMS");
  if (!button || !template || !rows || !total) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__n__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("select, input");
    if (first) {
      first.focus();
    }
  });
})();
