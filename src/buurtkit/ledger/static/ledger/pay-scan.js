/* Scan a shop's QR code with the camera where the browser can (BarcodeDetector). A code of this
   site (/Q/<code>) is opened: its route leads back here with the shop filled in. Typing the
   number always works; without camera support the button stays hidden. The translated
   messages come from data-* attributes of #pay-scanner. */
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var box = document.getElementById("pay-scanner"), video = document.getElementById("pay-camera");
  if (!box || !video) return;
  var start = document.getElementById("pay-scan-start"), stop = document.getElementById("pay-scan-stop");
  var status = document.getElementById("pay-scan-status"), stream = null, timer = null, detector;
  var prefix = (box.getAttribute("data-scan-prefix") || "").toUpperCase();
  try { detector = new BarcodeDetector({formats: ["qr_code"]}); } catch (e) { return; }
  box.hidden = false;
  function target(raw) {
    var text = (raw || "").trim(), url;
    if (/^[0-9 ]{9,11}$/.test(text)) return "?to=" + encodeURIComponent(text.replace(/ /g, ""));
    if (prefix && text.toUpperCase().indexOf(prefix) === 0 && /^[A-Z0-9-]+\/?$/i.test(text.slice(prefix.length))) return text;
    try { url = new URL(text); } catch (e) { return null; }
    if (url.host.toLowerCase() !== location.host.toLowerCase()) return null;
    if (!/^\/[Qq]\/[A-Za-z0-9-]+\/?$/.test(url.pathname)) return null;
    return location.origin + url.pathname;
  }
  function halt() {
    if (timer) clearInterval(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; timer = null; stop.hidden = true; video.hidden = true; start.hidden = false;
  }
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; video.play();
      start.hidden = true; stop.hidden = false;
      status.textContent = box.dataset.looking;
      timer = setInterval(function () {
        detector.detect(video).then(function (found) {
          if (!found.length) return;
          var next = target(found[0].rawValue);
          if (!next) {
            status.textContent = box.dataset.notOurs;
            return;
          }
          halt();
          status.textContent = box.dataset.found;
          location.assign(next);
        }).catch(function () {});
      }, 300);
    }).catch(function () {
      status.textContent = box.dataset.noCamera;
    });
  });
  stop.addEventListener("click", halt);
})();
