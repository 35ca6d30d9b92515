// reckon's one script, an enhancement only: every page and action works without it. It adds a
// Copy button beside each element marked data-copy (a new key, a password, a setup snippet).
"use strict";
document.querySelectorAll("[data-copy]").forEach(function (source) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy " + (source.getAttribute("aria-label") || source.id || "text"));
  button.addEventListener("click", function () {
    var text = "value" in source ? source.value : source.textContent;
    // Settles once: the clipboard promise may never settle (a headless browser, a permission
    // prompt nobody answers), so after about a second the selection fallback runs instead.
    var settled = false;
    var once = function (f) { return function () { if (!settled) { settled = true; f(); } }; };
    var done = once(function () { button.textContent = "Copied"; });
    var fallback = once(function () {
      // Older browsers and insecure origins: select the text and copy the selection.
      var range = document.createRange();
      range.selectNodeContents(source);
      if (source.select) { source.select(); } else { var s = window.getSelection(); s.removeAllRanges(); s.addRange(range); }
      button.textContent = document.execCommand("copy") ? "Copied" : "Select and copy";
    });
    if (navigator.clipboard && window.isSecureContext) {
      window.setTimeout(fallback, 1000);
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });
  source.insertAdjacentElement("afterend", button);
});
