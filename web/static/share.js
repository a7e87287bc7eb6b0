/* Share button: the Web Share API where the phone has it, else copy the link to the
   clipboard, else show the read-only link field. Shares the plain page URL only. */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll(".share"), function (box) {
    var button = box.querySelector(".share-button");
    var field = box.querySelector(".share-link");
    var input = box.querySelector(".share-link input");
    var status = box.querySelector(".share-status");
    var url = box.dataset.shareUrl;
    var title = box.dataset.shareTitle;
    if (!button || !url) { return; }

    function showField() {
      field.hidden = false;
      input.focus();
      input.select();
    }

    function copy() {
      if (!navigator.clipboard || !navigator.clipboard.writeText) { showField(); return; }
      navigator.clipboard.writeText(url).then(function () {
        status.textContent = box.dataset.msgCopied || "";
      }, showField);
    }

    field.hidden = true;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.share) {
        navigator.share({ title: title, url: url }).catch(function (error) {
          if (!error || error.name !== "AbortError") { copy(); }
        });
      } else {
        copy();
      }
    });
  });
})();
