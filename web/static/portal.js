// Company portal: upload with a progress bar (XMLHttpRequest upload events).
// Without JavaScript the same forms post as plain multipart and redirect back.
(function () {
  "use strict";

  function errorText(xhr, fallback) {
    try {
      var body = JSON.parse(xhr.responseText);
      return (body && body.detail && body.detail.message) || fallback;
    } catch (e) {
      return fallback;
    }
  }

  function enhance(form) {
    var progress = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) {
        return; // plain form post
      }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          progress.value = percent;
          status.textContent = percent + " %";
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          progress.value = 100;
          status.textContent = form.dataset.done;
          window.location.reload();
          return;
        }
        progress.hidden = true;
        button.disabled = false;
        status.textContent = errorText(xhr, form.dataset.failed);
      });
      xhr.addEventListener("error", function () {
        progress.hidden = true;
        button.disabled = false;
        status.textContent = form.dataset.failed;
      });
      progress.value = 0;
      progress.hidden = false;
      button.disabled = true;
      status.textContent = "0 %";
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(enhance);

  // While a video is being processed, look again in a few seconds.
  var busy = document.querySelector("[data-refresh]");
  if (busy) {
    var seconds = parseInt(busy.getAttribute("data-refresh"), 10) || 5;
    window.setTimeout(function () {
      if (!document.querySelector("form[data-upload] button[disabled]")) {
        window.location.reload();
      }
    }, seconds * 1000);
  }
})();
