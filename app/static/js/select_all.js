/* "Select all" checkbox of a list with row checkboxes (registration approval).
   Kept out of the templates: the Content-Security-Policy allows no inline scripts. */
(function () {
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    var boxes = document.querySelectorAll("input.row-select");
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
  });
})();
