// Progressive enhancement for htmx swaps: announce what changed and put focus where it belongs.
document.documentElement.classList.add("js");

// Pages hold personal data: htmx keeps no copy of them (historyCacheSize is 0 in base.html, and
// going back reloads from the server); drop any copy an older version of the page left behind.
try { window.sessionStorage.removeItem("htmx-history-cache"); } catch (e) { /* storage disabled */ }

(function () {
  function announce(text) {
    var region = document.getElementById("live-status");
    if (!region || !text) return;
    region.textContent = "";
    // A fresh text node makes screen readers read the same message twice in a row.
    window.setTimeout(function () { region.textContent = text; }, 50);
    region.classList.add("visible");
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { region.classList.remove("visible"); }, 5000);
  }

  document.addEventListener("announce", function (event) {
    announce(event.detail && event.detail.value);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.isConnected) return;
    // Swapped content may say what changed ("12 résultats"); the permanent region reads it out.
    var told = target.matches("[data-announce]") ? target : target.querySelector("[data-announce]");
    if (told) announce(told.getAttribute("data-announce"));
    var active = document.activeElement;
    // Keep focus where the person is typing or choosing (htmx restores it in the new content);
    // otherwise move it into what was swapped in.
    if (active && active.matches && active.matches("input[type=search]")) return;
    if (active && active !== document.body && target.contains(active) && active.matches("input, select, textarea")) return;
    var focusable = target.matches("[data-focus-after-swap]") ? target : target.querySelector("[data-focus-after-swap]");
    if (focusable) focusable.focus();
  });

  // The element waiting for an answer says so (Pico shows a spinner on busy buttons).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt) event.detail.elt.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt) event.detail.elt.removeAttribute("aria-busy");
  });

  // On a phone the main navigation folds behind a Menu button; without script it stays open.
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var links = document.getElementById("nav-links");
    if (!toggle || !links) return;
    toggle.hidden = false;
    links.classList.add("collapsed");
    toggle.addEventListener("click", function () {
      var open = links.classList.toggle("collapsed") === false;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { var first = links.querySelector("a, summary"); if (first) first.focus(); }
    });
  });

  document.addEventListener("htmx:responseError", function (event) {
    announce(document.documentElement.lang === "en"
      ? "The action failed. Reload the page and try again."
      : "L’action n’a pas abouti. Rechargez la page et réessayez.");
  });
})();
