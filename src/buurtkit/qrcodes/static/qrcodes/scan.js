/* Scan to edit: read a QR code with the camera where the browser can (BarcodeDetector); typing
   always works. The translated messages come from data-* attributes of #scanner. */
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var box = document.getElementById("scanner"), video = document.getElementById("camera");
  if (!box || !video) return;
  var start = document.getElementById("scan-start"), stop = document.getElementById("scan-stop");
  var status = document.getElementById("scan-status"), stream = null, timer = null, detector;
  try { detector = new BarcodeDetector({formats: ["qr_code"]}); } catch (e) { return; }
  box.hidden = false;
  function halt() {
    if (timer) clearInterval(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; timer = null; stop.hidden = true; start.hidden = false;
  }
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
      stream = s; video.srcObject = s; video.play();
      start.hidden = true; stop.hidden = false;
      status.textContent = box.dataset.looking;
      timer = setInterval(function () {
        detector.detect(video).then(function (found) {
          if (!found.length) return;
          halt();
          document.getElementById("code").value = found[0].rawValue;
          status.textContent = box.dataset.found;
          document.getElementById("scan-form").submit();
        }).catch(function () {});
      }, 300);
    }).catch(function () {
      status.textContent = box.dataset.noCamera;
    });
  });
  stop.addEventListener("click", halt);
})();
