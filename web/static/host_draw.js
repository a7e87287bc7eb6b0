/* Console draw form: show only the option groups of the chosen format (groups, Swiss);
   without this script every group stays visible and the server ignores the others. */
(function () {
  "use strict";

  var format = document.getElementById("format");
  var groups = document.querySelectorAll("[data-draw-options]");
  if (!format || !groups.length) { return; }

  function toggle() {
    Array.prototype.forEach.call(groups, function (group) {
      var kind = group.getAttribute("data-draw-options");
      group.hidden = kind !== "all" && kind !== format.value;
    });
  }
  format.addEventListener("change", toggle);
  toggle();
})();
