// Behaviour that would otherwise be inline handlers (the Content-Security-Policy forbids them).
// data-confirm="…" on a form asks before submitting; data-autosubmit on a field submits its
// form on change; data-print on a button opens the print dialog; data-scroll-end on a
// scrolling region starts it at its end (the latest period of a wide grid on a phone).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});

document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// Every error is seen. htmx swaps 409 and 422 answers (htmx-config in base.html): a refused
// inline form comes back with its errors, and focus moves to the first invalid field (or
// the alert); a saved row brings focus back to its Edit link (data-autofocus).
function slawebFocusIn(root) {
  if (!root || !root.querySelector) {
    return;
  }
  var target = root.querySelector('[aria-invalid="true"]') ||
    root.querySelector('[role="alert"][tabindex]');
  if (!target && root.matches("[data-autofocus-form]")) {
    target = root.querySelector("input:not([type=hidden]), select, textarea");
  }
  if (!target) {
    target = root.matches("[data-autofocus]") ? root : root.querySelector("[data-autofocus]");
  }
  if (target) {
    target.focus();
  }
}

document.addEventListener("htmx:load", function (event) {
  if (event.detail.elt !== document.body) {
    slawebFocusIn(event.detail.elt);
  }
});

// A full page with errors: focus the error summary, else the first invalid field.
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("error-summary") ||
    document.querySelector('main [aria-invalid="true"]');
  if (target) {
    target.focus();
  }
});

// A message beside the element that made the request, announced (role=alert) and focused.
function slawebShowError(source, text) {
  var holder = (source && source.closest && (source.closest("td, .field, form"))) || document.getElementById("main");
  var note = holder.querySelector(":scope > .request-error");
  if (!note) {
    note = document.createElement("p");
    note.className = "errorlist request-error";
    note.setAttribute("role", "alert");
    note.tabIndex = -1;
    holder.appendChild(note);
  }
  note.textContent = text;
  note.focus();
}

// The server refused a removal (HX-Trigger: {"slaweb:error": "…"}).
document.addEventListener("slaweb:error", function (event) {
  slawebShowError(event.target, event.detail.value);
});

// Any other failure (403, 500, no network): a general message, never silence.
function slawebGeneralError(event) {
  slawebShowError(event.detail.elt, document.body.getAttribute("data-request-error") || "Error");
}
document.addEventListener("htmx:responseError", slawebGeneralError);
document.addEventListener("htmx:sendError", slawebGeneralError);

// data-copy="#id" on a button copies that element's text; data-copied is the thank-you text.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) {
    return;
  }
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (status) {
      status.textContent = button.getAttribute("data-copied") || "";
    }
  });
});

// Cancelling a new row's form removes it: focus goes to its section's "Add" button, not
// to the page body (the removed row's own events no longer reach the document).
document.addEventListener("htmx:beforeSwap", function (event) {
  var response = event.detail.serverResponse;
  var section = event.detail.target.closest && event.detail.target.closest("section");
  if (section && typeof response === "string" && response.trim() === "") {
    window.setTimeout(function () {
      var add = section.querySelector("a.button[hx-get]");
      if (add && !document.activeElement.closest("section")) {
        add.focus();
      }
    }, 50);
  }
});

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-scroll-end]").forEach(function (region) {
    region.scrollLeft = region.scrollWidth;
  });
});
