// Progressive enhancement for the agreements network: the form works without this script
// (it submits a GET); with it, the slider, the counterfactual toggle and the key-moment
// buttons refresh the view in place and keep the address bar shareable.
(function () {
  "use strict";
  var form = document.getElementById("moment-form");
  if (!form || !window.fetch || !window.DOMParser) { return; }
  var slider = document.getElementById("day");
  var regions = ["view", "instant-shown", "agreement-list"];
  var pending = null;

  function dayLabel(day) {
    var epoch = Date.UTC(2013, 11, 31, 15, 0, 0); // 2014-01-01 00:00 in Seoul
    var shown = new Date(epoch + Number(day) * 86400000 + 9 * 3600000);
    return shown.toISOString().slice(0, 10) + " 00:00 KST";
  }

  function refresh(params) {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var query = "?" + params.toString();
    document.body.classList.add("loading");
    return fetch("/" + query, { signal: pending.signal, headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (id) {
          var fresh = doc.getElementById(id);
          var here = document.getElementById(id);
          if (fresh && here) { here.replaceWith(fresh); }
        });
        ["day", "exact"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          if (fresh) { document.getElementById(id).value = fresh.value; }
        });
        var view = document.getElementById("view");
        var at = view ? view.getAttribute("data-at") : "";
        form.querySelectorAll("button.moment").forEach(function (button) {
          button.classList.toggle("current", button.value === at);
        });
        history.replaceState(null, "", "/" + query);
        document.body.classList.remove("loading");
      })
      .catch(function (error) {
        if (error.name !== "AbortError") { form.submit(); }
      });
  }

  function params(submitter) {
    // The form as a browser without this script would send it (the key-moment button pressed,
    // the slider's day, the exact instant shown, the counterfactual toggle).
    return new URLSearchParams(submitter ? new FormData(form, submitter) : new FormData(form));
  }

  slider.addEventListener("input", function () {
    var shown = document.querySelector("[data-testid=instant]");
    if (shown) { shown.textContent = dayLabel(slider.value); }
  });
  slider.addEventListener("change", function () { refresh(params(null)); });
  document.getElementById("without_suspension").addEventListener("change", function () {
    refresh(params(null));
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    refresh(params(event.submitter));
  });
})();
