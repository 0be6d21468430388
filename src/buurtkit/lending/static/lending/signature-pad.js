/* The counter's signature pad: draw with a finger, a pen or a mouse (pointer events), "clear"
   starts again, every stroke puts the drawing as a PNG data URL in the hidden field. The form
   is sent once: its button is disabled on submit (the idempotency key answers a retry). */
(function () {
  "use strict";
  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var field = document.getElementById(pad.getAttribute("data-field"));
    var clear = pad.querySelector("[data-clear]");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    function size() {
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * ratio));
      canvas.height = Math.max(1, Math.round(rect.height * ratio));
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 3;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#14143c";
      drawn = false;
      field.value = "";
    }
    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) { canvas.setPointerCapture(event.pointerId); }
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1, 0, 2 * Math.PI);
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var here = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(here.x, here.y);
      ctx.stroke();
      last = here;
      drawn = true;
    });
    function stop() {
      if (!drawing) { return; }
      drawing = false;
      if (drawn) { field.value = canvas.toDataURL("image/png"); }
      pad.classList.toggle("signed", drawn);
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);
    clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      field.value = "";
      pad.classList.remove("signed");
    });
    size();
  }

  function showText(form) {
    var kind = form.querySelector("input[name=kind]:checked");
    var language = form.querySelector("select[name=language]");
    var wanted = (kind ? kind.value : "") + "-" + (language ? language.value : "");
    form.querySelectorAll("[data-agreement]").forEach(function (text) {
      text.hidden = text.getAttribute("data-agreement") !== wanted;
    });
    form.querySelectorAll("[data-for-kind]").forEach(function (part) {
      part.hidden = !kind || part.getAttribute("data-for-kind") !== kind.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-signature-pad]").forEach(setUp);
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
      });
      form.addEventListener("change", function () { showText(form); });
      showText(form);
    });
  });
})();
