/* Console draw form: the manual seed list shows only for a manual order, and each team
   gets up/down buttons; moving a team renumbers the places. Without this script the host
   types a place per team. */
(function () {
  "use strict";

  var list = document.querySelector("[data-seeding] .seeding-list");
  var fieldset = document.querySelector("[data-seeding]");
  var choice = document.getElementById("seeding");
  if (!list || !fieldset) { return; }

  function renumber() {
    Array.prototype.forEach.call(list.querySelectorAll(".seeding-place"), function (input, n) {
      input.value = String(n + 1);
    });
  }

  function sortByPlace() {
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      return Number(a.querySelector(".seeding-place").value) -
        Number(b.querySelector(".seeding-place").value);
    });
    items.forEach(function (item) { list.appendChild(item); });
  }

  function button(label, text, move) {
    var made = document.createElement("button");
    made.type = "button";
    made.className = "secondary small";
    made.textContent = text;
    made.setAttribute("aria-label", label);
    made.addEventListener("click", function () {
      move(made.closest("li"));
      renumber();
      made.focus();
    });
    return made;
  }

  Array.prototype.forEach.call(list.children, function (item) {
    var place = item.querySelector(".seeding-place");
    item.appendChild(button(place.dataset.up, "↑", function (li) {
      if (li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); }
    }));
    item.appendChild(button(place.dataset.down, "↓", function (li) {
      if (li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); }
    }));
    place.addEventListener("change", function () { sortByPlace(); });
  });

  function toggle() {
    fieldset.hidden = !!choice && choice.value !== "manual";
  }
  if (choice) {
    choice.addEventListener("change", toggle);
    toggle();
  }
})();
