/* Progress bar of an import batch (templates/imports/show.html): polls the batch's JSON
   status every second and reloads the page once the import has finished, which then shows
   the summary and the errors. Kept out of the template: the CSP allows no inline script. */
(function () {
  var box = document.getElementById("import_progress_box");
  if (!box || box.hidden || box.getAttribute("data-finished") === "1") { return; }
  var bar = document.getElementById("import_progress");
  var url = box.getAttribute("data-status-url");

  function show(status) {
    bar.max = status.total || 1;
    bar.value = status.processed;
    bar.textContent = status.percent + " %";
    document.getElementById("import_percent").textContent = status.percent;
    document.getElementById("import_done").textContent = status.processed;
    document.getElementById("import_state").textContent = status.label;
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) { window.setTimeout(poll, 5000); return; }
      var status = JSON.parse(request.responseText);
      show(status);
      if (status.finished) {
        window.setTimeout(function () { window.location.reload(); }, 500);
      } else {
        window.setTimeout(poll, 1000);
      }
    };
    request.onerror = function () { window.setTimeout(poll, 5000); };
    request.send();
  }

  window.setTimeout(poll, 1000);
})();
